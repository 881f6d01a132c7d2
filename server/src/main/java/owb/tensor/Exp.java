package owb.tensor;

import static owb.tensor.Vectors.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x for x <= 0, as softmax needs it, computed from lane-wise arithmetic only, so that the vector
 * and the scalar form agree lane for lane and give the same bits interpreted and compiled (the
 * Vector API's {@code EXP} is a library call when compiled and {@code Math.exp} lane by lane when
 * interpreted, which differ in the last bit).
 */
public final class Exp {
    private Exp() {}

    // exp(x) for x <= 0 (Cephes expf): x = n ln2 + r, |r| <= ln2/2, exp(r) by a degree-7 polynomial,
    // 2^n from the exponent bits; below EXP_MIN the result is 0 (exp(-87) ~ 1.6e-38 next to a sum >= 1).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;   // 1.5 * 2^23: adding it rounds to an integer
    private static final float EXP_MIN = -87f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x for x <= 0, within 2 ulp; lane for lane the same as {@link #exp(float)}. */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, EXP_MIN);   // also -inf
        FloatVector c = x.max(EXP_MIN);
        FloatVector t = c.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, P0);
        p = p.fma(r, FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND)).add(127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats()).blend(0f, tiny);
    }

    /** e^x for x <= 0: the scalar lane of {@link #exp(FloatVector)}. */
    public static float exp(float x) {
        if (x < EXP_MIN) return 0f;
        float t = Math.fma(x, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = P0;
        p = Math.fma(p, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int bits = (Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND) + 127) << 23;
        return y * Float.intBitsToFloat(bits);
    }
}
