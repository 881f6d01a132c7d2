package owb.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * IEEE 754 half precision (binary16) to float, keeping NaN payloads bit for bit as numpy does.
 * {@link Float#float16ToFloat} is not used: once C2 compiles it to the hardware conversion it
 * quiets signalling NaNs, so its result would depend on JIT state.
 */
public final class Half {
    private Half() {}

    /**
     * Finite values: exponent and mantissa placed where a float keeps them, then rescaled by
     * 2^(127 - 15), which is exact for normal and subnormal halves alike. Infinities and NaNs
     * (exponent all ones) get the float's all-ones exponent and keep their mantissa.
     */
    public static float toFloat(short half) {
        int sign = (half & 0x8000) << 16;
        int magnitude = half & 0x7FFF;
        int placed = magnitude << 13;
        int bits = magnitude >= 0x7C00
                ? placed | 0x7F80_0000
                : Float.floatToRawIntBits(Float.intBitsToFloat(placed) * 0x1p112f);
        return Float.intBitsToFloat(bits | sign);
    }

    /** {@link #toFloat} on each lane's low 16 bits. */
    static FloatVector toFloats(IntVector halves) {
        IntVector magnitude = halves.and(0x7FFF);
        IntVector placed = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = placed.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector infOrNan = placed.or(0x7F80_0000);
        IntVector bits = finite.blend(infOrNan, magnitude.compare(VectorOperators.GE, 0x7C00));
        IntVector sign = halves.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return bits.or(sign).reinterpretAsFloats();
    }
}
