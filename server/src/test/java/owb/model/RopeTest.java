package owb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RopeTest {

    @Test
    void llama3ScalingChangesTheFrequenciesAsTransformersDoes() {
        // samples/fixtures/models/TOLERANCES.md: the llama3 fixture's inverse frequencies (theta 500000,
        // d_head 16, factor 8, low 1, high 4, original context 64), printed by transformers to 6 digits
        var settings = new ModelConfig.RopeSettings(500000, "llama3", 8, 1, 4, 64);
        float[] hf = {1f, 0.079403f, 0.00470075f, 0.000911583f, 0.000176777f, 3.4281e-05f, 6.64787e-06f, 1.28917e-06f};
        float[] ours = Rope.of(settings, 16, null).inverseFrequencies();
        for (int i = 0; i < hf.length; i++) assertEquals(hf[i], ours[i], hf[i] * 1e-5, "frequency " + i);
        float[] plain = Rope.of(ModelConfig.RopeSettings.plain(500000), 16, null).inverseFrequencies();
        assertEquals(0.193923f, plain[1], 1e-6);
    }

    @Test
    void undoingTheGgufPermutationRestoresTheHalvesLayout() {
        // convert_hf_to_gguf.py: w.reshape(heads, 2, d_head/2, cols).swapaxes(1, 2), on two heads of d_head 8
        int heads = 2;
        int dHead = 8;
        float[] hf = new float[heads * dHead];
        for (int i = 0; i < hf.length; i++) hf[i] = i;
        float[] permuted = new float[hf.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < dHead / 2; j++) {
                for (int t = 0; t < 2; t++) permuted[h * dHead + 2 * j + t] = hf[h * dHead + t * dHead / 2 + j];
            }
        }
        Rope.interleavedToHalves(permuted, heads, dHead);
        assertArrayEquals(hf, permuted);
    }

    @Test
    void rotationAtPositionZeroIsTheIdentityAndPreservesNorms() {
        Rope rope = Rope.of(ModelConfig.RopeSettings.plain(10000), 4, null);
        float[] x = {1, 2, 3, 4};
        rope.rotate(x, 0, 1, 1, 0);
        assertArrayEquals(new float[] {1, 2, 3, 4}, x);
        rope.rotate(x, 0, 1, 1, 7);
        assertEquals(1 * 1 + 3 * 3, x[0] * x[0] + x[2] * x[2], 1e-5, "pair (0, 2) rotates together");
        assertEquals(2 * 2 + 4 * 4, x[1] * x[1] + x[3] * x[3], 1e-5, "pair (1, 3) rotates together");
    }
}
