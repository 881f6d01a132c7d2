package owb.tensor;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The engine's warm-up runs the kernels on data of its own: it must end by itself and must leave
 * nothing behind that changes what a command computes (shared scratch buffers, tables).
 */
class KernelWarmUpTest {
    @Test
    void warmingUpChangesNoResultAndEndsByItself() {
        Random random = new Random(11);
        float[] x = gaussian(random, 70 * 96);
        float[] w = gaussian(random, 130 * 96);
        var shape = new CausalAttention.Shape(9, 3, 64, 70, 0, 0);
        float[] q = gaussian(random, 70 * 9 * 64);
        float[] keys = gaussian(random, 70 * 3 * 64);
        float[] values = gaussian(random, 70 * 3 * 64);

        float[] yBefore = new float[70 * 130];
        MatMul.matmulF32(x, 70, 96, w, 130, yBefore);
        float[] shortBefore = new float[6 * 130];     // fewer tokens than a GEMM panel: dot-product blocks
        MatMul.matmulF32(x, 6, 96, w, 130, shortBefore);
        float[] zBefore = new CausalAttention(keys, values, shape).attend(q);

        assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
            KernelWarmUp.run(100);       // a long prompt's kernels
            KernelWarmUp.run(10);        // a short one's
            KernelWarmUp.run(2);         // a few tokens'
        });

        float[] yAfter = new float[70 * 130];
        MatMul.matmulF32(x, 70, 96, w, 130, yAfter);
        assertArrayEquals(yBefore, yAfter, "a GEMM after the warm-up");
        float[] shortAfter = new float[6 * 130];
        MatMul.matmulF32(x, 6, 96, w, 130, shortAfter);
        assertArrayEquals(shortBefore, shortAfter, "dot-product blocks after the warm-up");
        var attention = new CausalAttention(keys, values, shape);
        assertArrayEquals(zBefore, attention.attend(q), "attention after the warm-up");
        float[] pattern = attention.scores(q);
        attention.softmax(pattern);
        assertArrayEquals(zBefore, attention.mix(pattern), "staged attention after the warm-up");
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}
