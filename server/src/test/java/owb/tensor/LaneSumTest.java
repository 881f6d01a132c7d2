package owb.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class LaneSumTest {
    /** The tree LaneSum promises: lane i + lane i + L/2, then the first half again, down to lane 0. */
    private static float tree(float[] lanes) {
        float[] v = lanes.clone();
        for (int half = v.length / 2; half > 0; half /= 2) {
            for (int i = 0; i < half; i++) v[i] = v[i] + v[i + half];
        }
        return v[0];
    }

    @Test
    void addsTheLanesInTheDocumentedTreeForEverySpecies() {
        SplittableRandom random = new SplittableRandom(7);
        for (VectorSpecies<Float> species : List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128,
                FloatVector.SPECIES_256, FloatVector.SPECIES_512, FloatVector.SPECIES_PREFERRED, FloatVector.SPECIES_MAX)) {
            for (int trial = 0; trial < 2000; trial++) {
                float[] lanes = new float[species.length()];
                for (int i = 0; i < lanes.length; i++) {
                    lanes[i] = (float) ((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(-6, 7)));
                }
                float expected = tree(lanes);
                assertEquals(Float.floatToRawIntBits(expected),
                        Float.floatToRawIntBits(LaneSum.of(FloatVector.fromArray(species, lanes, 0))),
                        species + " trial " + trial);
            }
        }
    }
}
