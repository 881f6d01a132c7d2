package owb.tensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector species and little-endian layouts shared by the decoders. The dequant kernels step
 * through ggml's 16- and 32-value runs one vector at a time, so they run vectorized only where
 * the preferred float vector has 8 or 16 lanes (AVX2, AVX-512) and fall back to scalar code
 * elsewhere (e.g. 4-lane NEON).
 */
final class Lanes {
    private Lanes() {}

    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    static final int COUNT = FLOATS.length();
    static final boolean VECTOR_DEQUANT = COUNT == 8 || COUNT == 16;
    /** Same lane count as {@link #FLOATS}, so a widening conversion maps lane i to lane i. */
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    static final VectorSpecies<Short> SHORTS = VECTOR_DEQUANT
            ? VectorSpecies.of(short.class, VectorShape.forBitSize(COUNT * 16)) : null;
    static final VectorSpecies<Byte> BYTES = VECTOR_DEQUANT
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(COUNT * 8)) : null;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(LE);
}
