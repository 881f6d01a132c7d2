package owb.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order, the same whether the code runs interpreted or
 * compiled.
 *
 * <p>{@code reduceLanes(ADD)} on floats may add in any order, and does: interpreted it adds lane
 * after lane, compiled by C2 in a tree, so two thirds of random 16-lane sums came out different in
 * the last bit, and a forward pass or a lens reading gave different bytes in a fresh process than
 * once its kernels were compiled. Here each step is a lane-wise add (exact IEEE arithmetic in every
 * mode) of the vector and itself rotated by half its width: lane i + lane i + L/2, then the same
 * on the first L/2 lanes, and so on; lane 0 ends up with the sum.
 *
 * <p>The rotations are shuffles made once per species: compiled, a sum costs about 2 ns, against
 * 1.5 ns for {@code reduceLanes} and 6.6 ns for the same tree built with {@code slice}, which
 * makes its shuffle on every call (and was five times slower still before C2 compiled it).
 */
public final class LaneSum {
    /** ROTATIONS[log2(lanes)]: rotations by lanes/2, lanes/4, ..., 1 for that species. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[][] ROTATIONS = new VectorShuffle[5][];

    static {
        for (VectorSpecies<Float> s : java.util.List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128,
                FloatVector.SPECIES_256, FloatVector.SPECIES_512)) {
            ROTATIONS[Integer.numberOfTrailingZeros(s.length())] = rotations(s);
        }
    }

    private LaneSum() {}

    public static float of(FloatVector v) {
        int log2 = Integer.numberOfTrailingZeros(v.length());
        VectorShuffle<Float>[] rotations = log2 < ROTATIONS.length ? ROTATIONS[log2] : null;
        if (rotations == null || rotations.length == 0 || rotations[0].vectorSpecies() != v.species()) {
            // a species of another shape (a scalable vector's maximum): the same tree, slower
            for (int half = v.length() / 2; half > 0; half /= 2) v = v.add(v.slice(half));
            return v.lane(0);
        }
        for (VectorShuffle<Float> rotation : rotations) v = v.add(v.rearrange(rotation));
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations(VectorSpecies<Float> species) {
        int lanes = species.length();
        VectorShuffle<Float>[] out = new VectorShuffle[Integer.numberOfTrailingZeros(lanes)];
        for (int step = 0, half = lanes / 2; half > 0; step++, half /= 2) {
            int by = half;
            out[step] = VectorShuffle.fromOp(species, i -> (i + by) % lanes);
        }
        return out;
    }
}
