package owb.tensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses. The float species is the platform's preferred one, 128 to
 * 512 bits, so a vector holds {@code L} = 4, 8 or 16 floats: each divides the 16- and 32-element
 * runs of every ggml block. The short and int species have the same lane count, so a lane-for-lane
 * widening conversion to floats is a single instruction pair (sign-extend, convert); so does the
 * byte species, except with 4 lanes (128-bit vectors, e.g. ARM NEON), where no 32-bit byte vector
 * exists: {@link #BYTES} is then null and quantized weights are decoded to floats first
 * ({@link WeightRows#of}). A species wider than the hardware's is only emulated, hundreds of times
 * slower, so the float species is never widened past the preferred one.
 */
final class Vectors {
    static final VectorSpecies<Float> F = floatSpecies();
    static final int L = F.length();
    /** Null with 4 float lanes: there is no 32-bit byte vector. */
    static final VectorSpecies<Byte> BYTES = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE)) : null;
    static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());

    private Vectors() {}

    private static VectorSpecies<Float> floatSpecies() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits > 512) return FloatVector.SPECIES_512;
        if (bits < 128) return FloatVector.SPECIES_128;   // no SIMD worth the name: emulated either way
        return FloatVector.SPECIES_PREFERRED;
    }

    /**
     * Whether the block decoders step through ggml's 16- and 32-value runs a vector at a time: they
     * load bytes, so they need {@link #BYTES}; with 4 lanes they decode value by value.
     */
    static final boolean VECTOR_DEQUANT = BYTES != null;

    /** Checkpoint files are little-endian (GGUF, safetensors). */
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(LE);

    /** Signed bytes to floats, lane for lane. */
    static FloatVector floats(ByteVector bytes) {
        return (FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0);
    }

    /** The low 4 bits of every byte. */
    static ByteVector lowNibbles(ByteVector bytes) {
        return bytes.and((byte) 0x0F);
    }

    /** The high 4 bits of every byte, shifted down (x86 has no byte shift; a 16-bit one serves). */
    static ByteVector highNibbles(ByteVector bytes) {
        return bytes.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }

    /** Every byte shifted left by {@code bits} (bits from the lower byte of a pair must be masked off by the caller). */
    static ByteVector shiftLeftWithin16(ByteVector bytes, int bits) {
        return bytes.reinterpretAsShorts().lanewise(VectorOperators.LSHL, bits).reinterpretAsBytes();
    }

    /** Every byte shifted right by {@code bits} (bits from the upper byte of a pair must be masked off by the caller). */
    static ByteVector shiftRightWithin16(ByteVector bytes, int bits) {
        return bytes.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bits).reinterpretAsBytes();
    }

    /**
     * IEEE half-precision bit patterns to floats. Shifting exponent and mantissa into float position
     * and multiplying by 2^112 (the exponent bias difference, 127 - 15) is exact for normal and
     * subnormal halves; infinities and NaNs get the all-ones float exponent instead.
     */
    static FloatVector halfToFloat(ShortVector halves) {
        IntVector bits = (IntVector) halves.convertShape(VectorOperators.S2I, INTS, 0);
        IntVector sign = bits.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = bits.and(0x7FFF);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infOrNan = magnitude.compare(VectorOperators.GE, 0x7C00);
        return finite.blend(shifted.or(0x7F800000), infOrNan).or(sign).reinterpretAsFloats();
    }

    /** bfloat16 bit patterns to floats: the upper half of a float's bits. */
    static FloatVector bfloat16ToFloat(ShortVector halves) {
        IntVector bits = (IntVector) halves.convertShape(VectorOperators.S2I, INTS, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
