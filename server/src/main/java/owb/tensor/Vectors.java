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
 * The vector species every kernel uses. The float species is the platform's preferred one clamped
 * to 256..512 bits, so a vector holds {@code L} = 8 or 16 floats: both divide the 16- and 32-element
 * runs of every ggml block, and the byte, short and int species below have the same lane count so a
 * lane-for-lane widening conversion to floats is a single instruction pair (sign-extend, convert).
 */
final class Vectors {
    static final VectorSpecies<Float> F = floatSpecies();
    static final int L = F.length();
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE));
    static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());

    private Vectors() {}

    private static VectorSpecies<Float> floatSpecies() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits > 512) return FloatVector.SPECIES_512;
        if (bits < 256) return FloatVector.SPECIES_256;
        return FloatVector.SPECIES_PREFERRED;
    }

    /** Checkpoint files are little-endian (GGUF, safetensors). */
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

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
