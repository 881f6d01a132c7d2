package owb.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * The sum of a vector's lanes in one fixed order, the same whether the code runs interpreted or
 * compiled.
 *
 * <p>{@code reduceLanes(ADD)} on floats may add in any order, and does: interpreted it adds lane
 * after lane, compiled by C2 in a tree, so two thirds of random 16-lane sums came out different in
 * the last bit, and a forward pass or a lens reading gave different bytes in a fresh process than
 * once its kernels were compiled. Here each step is a lane-wise add (exact IEEE arithmetic in every
 * mode) of the vector and its upper half shifted down: lane i + lane i + L/2, then the same on the
 * first L/2 lanes, and so on. It costs what {@code reduceLanes} costs.
 */
public final class LaneSum {
    private LaneSum() {}

    public static float of(FloatVector v) {
        for (int half = v.length() / 2; half > 0; half /= 2) v = v.add(v.slice(half));
        return v.lane(0);
    }
}
