package owb.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.diff.BehaviourDiff.HeadJs;
import owb.diff.BehaviourDiff.LensKl;
import owb.diff.BehaviourDiff.MovedToken;
import owb.diff.BehaviourDiff.Result;
import owb.model.Activation;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.probe.AttentionSummary;
import owb.probe.Distributions;
import owb.tokenizer.Tokenizer;

class BehaviourDiffTest {

    private static final int[] TOKENS = {1, 17, 42, 99, 5, 17, 42, 7};
    private static final double LN2 = Math.log(2);
    /**
     * What "zero" means between two forward passes of the same weights: a cold JVM's first passes
     * run partly in the interpreter and C1, whose Vector API fallbacks round lane sums differently
     * from the compiled kernels, which leaves a KL or JS of order 1e-12; every real change here is
     * above 1e-7.
     */
    private static final double ZERO = 1e-10;

    private static Result run(Path base, Path derivative, int[] tokens) throws IOException {
        try (Checkpoint b = Checkpoints.open(base); Checkpoint d = Checkpoints.open(derivative)) {
            return BehaviourDiff.run(ModelLoader.load(b), ModelLoader.load(d), tokens, id -> "<" + id + ">", 5);
        }
    }

    @Test
    void identicalModelsDifferNowhere() throws IOException {
        Path llama = DiffFixtures.tinyModel("llama");
        Result r = run(llama, llama, TOKENS);
        assertEquals(3 * TOKENS.length, r.lensKl().size(), "layers 0..2 x positions");
        assertEquals(2 * 4, r.attentionJs().size(), "2 layers x 4 heads");
        for (LensKl c : r.lensKl()) assertEquals(0.0, c.kl(), ZERO, c.toString());
        for (HeadJs h : r.attentionJs()) assertEquals(0.0, h.js(), ZERO, h.toString());
        assertTrue(r.movedTokens().isEmpty(), "nothing moves by 1e-6: " + r.movedTokens());
    }

    @Test
    void aChangedLateLayerMovesNothingBeforeItAndEverythingAfter(@TempDir Path tmp) throws IOException {
        Path base = DiffFixtures.tinyModel("llama-gqa");   // 3 layers
        Path derivative = DiffFixtures.withEditedTensor(base, tmp, "model.layers.2.self_attn.q_proj.weight", 0.05f);
        Result r = run(base, derivative, TOKENS);
        for (int p = 0; p < TOKENS.length; p++) {
            for (int layer = 0; layer <= 2; layer++) {
                assertEquals(0.0, r.kl(layer, p), ZERO, "the stream entering block " + layer + " is untouched, position " + p);
            }
            // position 0 attends only to itself: its pattern (and so the output there) cannot change
            if (p > 0) assertTrue(r.kl(3, p) > 1e-7, "the output moves at position " + p + ": " + r.kl(3, p));
        }
        for (int h = 0; h < r.heads(); h++) {
            assertEquals(0.0, r.js(0, h), ZERO);
            assertEquals(0.0, r.js(1, h), ZERO);
            assertTrue(r.js(2, h) > 1e-7, "layer 2 head " + h + ": " + r.js(2, h));
        }
    }

    @Test
    void findsTheFixtureFineTuneFromTheFirstEditedLayerOn() throws IOException {
        Path f = DiffFixtures.folder();
        Result r = run(f.resolve("base"), f.resolve("derivative"), TOKENS);
        assertEquals(256, r.sharedVocab(), "the 4 new rows are left out of the lens");
        for (int p = 0; p < TOKENS.length; p++) {
            // the embedding's shared rows, the final norm and lm_head's shared rows are untouched
            assertEquals(0.0, r.kl(0, p), ZERO, "layer 0, position " + p);
            for (int layer = 1; layer <= 4; layer++) {
                assertTrue(r.kl(layer, p) > 1e-7, "layer " + layer + " position " + p + ": " + r.kl(layer, p));
            }
        }
        // layer 0's edit is post_attention_layernorm: after its attention
        for (int h = 0; h < r.heads(); h++) {
            assertEquals(0.0, r.js(0, h), ZERO, "layer 0 head " + h);
            assertTrue(r.js(1, h) > 1e-7, "layer 1's q_proj changed, head " + h + ": " + r.js(1, h));
        }
        assertTrue(r.notes().getFirst().contains("256 and 260"), r.notes().toString());
    }

    @Test
    void jensenShannonIsSymmetricAndAtMostLn2() throws IOException {
        Path f = DiffFixtures.folder();
        Result forward = run(f.resolve("base"), f.resolve("derivative"), TOKENS);
        Result backward = run(f.resolve("derivative"), f.resolve("base"), TOKENS);
        for (int i = 0; i < forward.attentionJs().size(); i++) {
            double js = forward.attentionJs().get(i).js();
            assertEquals(js, backward.attentionJs().get(i).js(), 1e-6 * js + ZERO, "the same up to exp's last bit");
            assertTrue(js >= 0 && js <= LN2);
        }
        float[] p = {0.5f, 0.5f, 0, 0};
        float[] q = {0, 0, 0.25f, 0.75f};
        assertEquals(LN2, Distributions.jensenShannon(p, 0, q, 0, 4), 1e-12, "disjoint supports");
        assertEquals(Distributions.jensenShannon(p, 0, new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 0, 4),
                Distributions.jensenShannon(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 0, p, 0, 4), 1e-15);
    }

    @Test
    void oneCellOfEachByHand() throws IOException {
        Path f = DiffFixtures.folder();
        try (Checkpoint bc = Checkpoints.open(f.resolve("base")); Checkpoint dc = Checkpoints.open(f.resolve("derivative"))) {
            LanguageModel base = ModelLoader.load(bc);
            LanguageModel derivative = ModelLoader.load(dc);
            Result r = BehaviourDiff.run(base, derivative, TOKENS, id -> "<" + id + ">", 5);
            int last = TOKENS.length - 1;

            // KL(base || derivative) at the output, last position, over the 256 shared ids
            float[] lb = base.forward(TOKENS);        // [positions, 256]
            float[] ld = derivative.forward(TOKENS);  // [positions, 260]
            double zb = 0, zd = 0;
            for (int i = 0; i < 256; i++) {
                zb += Math.exp(lb[last * 256 + i]);
                zd += Math.exp(ld[last * 260 + i]);
            }
            double kl = 0;
            for (int i = 0; i < 256; i++) {
                double pb = Math.exp(lb[last * 256 + i]) / zb;
                double pd = Math.exp(ld[last * 260 + i]) / zd;
                kl += pb * Math.log(pb / pd);
            }
            assertEquals(kl, r.kl(4, last), 1e-9 * Math.max(1, kl));

            // JS of layer 3, head 1, averaged over the query positions
            Activation pb = AttentionSummary.run(base, TOKENS).pattern(3);
            Activation pd = AttentionSummary.run(derivative, TOKENS).pattern(3);
            double sum = 0;
            for (int q = 0; q < TOKENS.length; q++) {
                double js = 0;
                for (int k = 0; k <= q; k++) {
                    double a = pb.get(1, q, k), b = pd.get(1, q, k), m = (a + b) / 2;
                    if (a > 0) js += 0.5 * a * Math.log(a / m);
                    if (b > 0) js += 0.5 * b * Math.log(b / m);
                }
                sum += js;
            }
            assertEquals(sum / TOKENS.length, r.js(3, 1), 1e-9);
            assertTrue(r.js(3, 1) > 0);

            // moved tokens: the largest rises first, then the largest falls; p from the full softmax
            List<MovedToken> moved = r.movedTokens();
            assertTrue(moved.size() <= 10 && !moved.isEmpty());
            MovedToken top = moved.getFirst();
            assertTrue(top.delta() > 0);
            double pTop = Math.exp(ld[last * 260 + top.id()]);
            double z = 0;
            for (int i = 0; i < 260; i++) z += Math.exp(ld[last * 260 + i]);
            assertEquals(pTop / z, top.pDerivative(), 1e-9);
            double previous = Double.POSITIVE_INFINITY;
            boolean falling = false;
            for (MovedToken m : moved) {
                if (m.delta() < 0 && !falling) {
                    falling = true;
                    previous = Double.POSITIVE_INFINITY;
                }
                double size = Math.abs(m.delta());
                assertTrue(size <= previous, moved.toString());
                previous = size;
                if (m.id() >= 256) assertEquals(0.0, m.pBase(), "the base has no token " + m.id());
            }
        }
    }

    @Test
    void theFixtureVocabulariesAgreeOnTheSharedIdsAndMismatchedOnesAreRefused() throws IOException {
        Path f = DiffFixtures.folder();
        try (Checkpoint b = Checkpoints.open(f.resolve("base")); Checkpoint d = Checkpoints.open(f.resolve("derivative"));
             Checkpoint g = Checkpoints.open(f.resolve("derivative.gguf"))) {
            BehaviourDiff.Vocabulary v = BehaviourDiff.Vocabulary.of(b, d);
            assertEquals("<|im_end|>", v.text(257), "ids only the derivative has read as its tokenizer says");
            assertEquals("T", v.text(v.encode("T")[0]));
            assertTrue(v.notes().getFirst().contains("256 and 260"), v.notes().toString());
            assertTrue(BehaviourDiff.Vocabulary.of(b, g).notes().getFirst().contains("derivative has no tokenizer"));
            IllegalArgumentException noTokenizer = assertThrows(IllegalArgumentException.class,
                    () -> BehaviourDiff.Vocabulary.of(g, b));
            assertTrue(noTokenizer.getMessage().startsWith("the base has no tokenizer"), noTokenizer.getMessage());
        }
        Path tokenizers = f.getParent().resolve("tokenizer");
        Tokenizer gpt2 = Tokenizer.fromTokenizerJson(tokenizers.resolve("gpt2-bpe.tokenizer.json"));
        Tokenizer llama = Tokenizer.fromTokenizerJson(tokenizers.resolve("llama2-spm.tokenizer.json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BehaviourDiff.Vocabulary.check(gpt2, llama, null));
        assertTrue(e.getMessage().startsWith("the vocabularies differ: token 0 is "), e.getMessage());
    }

    @Test
    void refusesTokensOutsideEitherVocabularyAndModelsOfDifferentShape() throws IOException {
        Path f = DiffFixtures.folder();
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> run(f.resolve("derivative"), f.resolve("base"), new int[] {1, 257}));
        assertTrue(outside.getMessage().contains("outside the derivative's vocabulary (0..255)"), outside.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> run(f.resolve("base"), DiffFixtures.tinyModel("llama"), new int[] {1, 2}));
        assertTrue(shape.getMessage().startsWith("the models differ in shape (base 4 layers of 4 heads, derivative 2"),
                shape.getMessage());
    }
}
