package owb.tensor;

/**
 * The two 8-bit float formats safetensors stores (OCP 8-bit floating point, as PyTorch's
 * {@code float8_e4m3fn} and {@code float8_e5m2}), decoded through 256-entry tables.
 */
final class Float8 {
    private Float8() {}

    private static final float[] E4M3FN = new float[256];
    private static final float[] E5M2 = new float[256];

    static {
        for (int bits = 0; bits < 256; bits++) {
            E4M3FN[bits] = decodeE4m3fn(bits);
            // E5M2 has the sign, exponent width and bias of IEEE half: it is a half's top byte.
            E5M2[bits] = Half.toFloat((short) (bits << 8));
        }
    }

    /** E4M3 "fn": bias 7, no infinities, NaN only at S.1111.111, largest finite value 448. */
    static float e4m3fnToFloat(byte bits) { return E4M3FN[bits & 0xFF]; }

    /** E5M2: bias 15, IEEE-style infinities and NaNs, largest finite value 57344. */
    static float e5m2ToFloat(byte bits) { return E5M2[bits & 0xFF]; }

    private static float decodeE4m3fn(int bits) {
        int exponent = (bits >> 3) & 0xF;
        int mantissa = bits & 0x7;
        if (exponent == 0xF && mantissa == 0x7) return Float.NaN;
        float magnitude = exponent == 0
                ? Math.scalb((float) mantissa, -9)                   // subnormal: m/8 * 2^(1-7)
                : Math.scalb((float) (8 + mantissa), exponent - 10); // (1 + m/8) * 2^(e-7)
        return (bits & 0x80) != 0 ? -magnitude : magnitude;
    }
}
