package owb.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.ejml.simple.SimpleMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.LanguageModel;
import owb.model.ModelLoader;
import owb.probe.LinearClassifier.Method;
import owb.probe.LinearProbe.Options;
import owb.probe.LinearProbe.Pooling;
import owb.probe.LinearProbe.Split;

class LinearProbeTest {

    /**
     * Gaussian noise in every feature, shifted and scaled unevenly, plus ±margin by label along a
     * random unit direction (a concept spread over many features, as in a residual stream).
     */
    static double[][] clusters(int examples, int d, double margin, int[] labels, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] direction = new double[d];
        double norm = 0;
        for (int j = 0; j < d; j++) {
            direction[j] = r.nextGaussian();
            norm += direction[j] * direction[j];
        }
        double[][] x = new double[examples][d];
        for (int i = 0; i < examples; i++) {
            labels[i] = i % 2;
            for (int j = 0; j < d; j++) {
                x[i][j] = r.nextGaussian() * (1 + j % 5) + 10 * j + (labels[i] == 1 ? margin : -margin) * direction[j] / Math.sqrt(norm);
            }
        }
        return x;
    }

    /** Separable data is classified perfectly, with more examples than features and with fewer (the QR path). */
    @ParameterizedTest
    @CsvSource({"RIDGE,200,20", "LOGISTIC,200,20", "RIDGE,60,300", "LOGISTIC,60,300"})
    void separableDataIsClassifiedPerfectly(Method method, int examples, int d) {
        int[] labels = new int[examples];
        double[][] x = clusters(examples, d, 40, labels, 1);
        Split split = Split.stratified(labels, 0.25, 7);
        LinearClassifier c = LinearClassifier.fit(x, labels, split.train(), method, 1.0);
        assertEquals(1.0, c.accuracy(x, labels, split.train()));
        assertEquals(1.0, c.accuracy(x, labels, split.test()));
    }

    /** Random labels: the test accuracy is chance (the train accuracy need not be). */
    @ParameterizedTest
    @EnumSource(Method.class)
    void randomLabelsGiveChanceTestAccuracy(Method method) {
        SplittableRandom r = new SplittableRandom(3);
        int examples = 600;
        double[][] x = new double[examples][10];
        int[] labels = new int[examples];
        for (int i = 0; i < examples; i++) {
            labels[i] = r.nextInt(2);
            for (int j = 0; j < 10; j++) x[i][j] = r.nextGaussian();
        }
        Split split = Split.stratified(labels, 0.5, 11);
        LinearClassifier c = LinearClassifier.fit(x, labels, split.train(), method, 1.0);
        double test = c.accuracy(x, labels, split.test());
        assertTrue(test > 0.4 && test < 0.6, "test accuracy " + test);
    }

    /** Ridge in the examples' span (fewer examples than features) equals the normal equations in all d features. */
    @Test
    void ridgeInTheExamplesSpanEqualsTheFullNormalEquations() {
        int examples = 30;
        int d = 80;
        int[] labels = new int[examples];
        double[][] x = clusters(examples, d, 1, labels, 5);
        int[] rows = IntStream.range(0, examples).toArray();
        double lambda = 2.5;
        LinearClassifier c = LinearClassifier.fit(x, labels, rows, Method.RIDGE, lambda);
        SimpleMatrix z = new SimpleMatrix(examples, d);
        SimpleMatrix t = new SimpleMatrix(examples, 1);
        for (int i = 0; i < examples; i++) {
            for (int j = 0; j < d; j++) z.set(i, j, (x[i][j] - c.mean()[j]) / c.scale()[j]);
            t.set(i, 0, labels[i] == 1 ? 1 : -1);     // balanced: mean 0
        }
        double[] w = z.transpose().mult(z).plus(SimpleMatrix.identity(d).scale(lambda)).solve(z.transpose().mult(t))
                .getDDRM().getData();
        assertArrayEquals(w, c.weights(), 1e-9);
        assertEquals(0.0, c.bias(), 1e-12);
    }

    /** At the logistic fit the gradient of the penalised loss vanishes, in every one of the d features. */
    @Test
    void logisticFitIsAStationaryPointOfThePenalisedLoss() {
        int examples = 40;
        int d = 100;
        int[] labels = new int[examples];
        double[][] x = clusters(examples, d, 0.5, labels, 9);
        int[] rows = IntStream.range(0, examples).toArray();
        double lambda = 0.7;
        LinearClassifier c = LinearClassifier.fit(x, labels, rows, Method.LOGISTIC, lambda);
        double[] gradient = new double[d];
        double biasGradient = 0;
        for (int i = 0; i < examples; i++) {
            double p = 1 / (1 + Math.exp(-c.score(x[i])));
            for (int j = 0; j < d; j++) gradient[j] += (p - labels[i]) * (x[i][j] - c.mean()[j]) / c.scale()[j];
            biasGradient += p - labels[i];
        }
        for (int j = 0; j < d; j++) assertEquals(0.0, gradient[j] + lambda * c.weights()[j], 1e-8, "feature " + j);
        assertEquals(0.0, biasGradient, 1e-8);
    }

    @Test
    void splitIsSeededStratifiedAndComplete() {
        int[] labels = new int[41];
        for (int i = 0; i < labels.length; i++) labels[i] = i < 20 ? 1 : 0;
        Split a = Split.stratified(labels, 0.25, 42);
        Split b = Split.stratified(labels, 0.25, 42);
        assertArrayEquals(a.train(), b.train());
        assertArrayEquals(a.test(), b.test());
        assertEquals(5, Arrays.stream(a.test()).filter(i -> labels[i] == 1).count());
        assertEquals(5, Arrays.stream(a.test()).filter(i -> labels[i] == 0).count());   // round(0.25 · 21)
        int[] all = IntStream.concat(Arrays.stream(a.train()), Arrays.stream(a.test())).sorted().toArray();
        assertArrayEquals(IntStream.range(0, labels.length).toArray(), all);
        assertTrue(!Arrays.equals(a.test(), Split.stratified(labels, 0.25, 43).test()));
        assertEquals(0, Split.stratified(labels, 0, 1).test().length);
    }

    /** Twins stay together; about the asked fraction is held out; seeded. */
    @Test
    void groupedSplitKeepsGroupsOnOneSide() {
        String[] groups = new String[40];
        for (int i = 0; i < groups.length; i++) groups[i] = "pair" + i / 2;
        Split a = Split.grouped(groups, 0.25, 5);
        assertEquals(10, a.test().length);
        for (int i : a.test()) assertTrue(Arrays.stream(a.test()).anyMatch(j -> j != i && groups[j].equals(groups[i])));
        assertArrayEquals(a.test(), Split.grouped(groups, 0.25, 5).test());
        assertEquals(40, a.train().length + a.test().length);
        assertEquals(0, Split.grouped(groups, 0, 5).test().length);
        assertEquals(2, Split.grouped(groups, 0.01, 5).test().length, "at least one group");
        assertEquals(2, Split.grouped(new String[] {"a", "a", "b", "b"}, 0.9, 5).train().length, "never every group");
    }

    @Test
    void badInputIsRejected() {
        int[] labels = {0, 0, 0};
        double[][] x = {{1}, {2}, {3}};
        assertThrows(IllegalArgumentException.class, () -> LinearClassifier.fit(x, labels, new int[] {0, 1, 2}, Method.RIDGE, 1));
        assertThrows(IllegalArgumentException.class, () -> LinearClassifier.fit(x, new int[] {0, 1, 2}, new int[] {0, 1, 2}, Method.RIDGE, 1));
        assertThrows(IllegalArgumentException.class, () -> LinearClassifier.fit(x, new int[] {0, 1, 1}, new int[] {0, 1, 2}, Method.RIDGE, 0));
        assertThrows(IllegalArgumentException.class, () -> new Options("blocks.*.attn.hook_pattern", Pooling.LAST, Method.RIDGE, 1, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Options("blocks.*.hook_resid_post", Pooling.LAST, Method.RIDGE, 1, 1.0, 1));
    }

    /**
     * On the tiny llama: prompts that end in token 300 or in token 301 (label 1 or 0) after random
     * tokens. The last position's residual carries its own token's embedding: the label is read
     * perfectly after block 0, and after block 1 (where attention has mixed in the random tokens of
     * this untrained model) on 9 of the 10 held-out prompts (measured).
     */
    @Test
    void probesEveryLayerOfATinyModel() throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(ProbeFixtures.model("llama").resolve("model.safetensors"))) {
            LanguageModel model = ModelLoader.load(checkpoint);
            SplittableRandom r = new SplittableRandom(4);
            List<int[]> prompts = new ArrayList<>();
            int[] labels = new int[40];
            for (int e = 0; e < labels.length; e++) {
                labels[e] = e % 2;
                int[] tokens = new int[4 + r.nextInt(4)];
                for (int i = 0; i < tokens.length - 1; i++) tokens[i] = r.nextInt(512);
                tokens[tokens.length - 1] = labels[e] == 1 ? 300 : 301;
                prompts.add(tokens);
            }
            Options options = new Options("blocks.*.hook_resid_post", Pooling.LAST, Method.LOGISTIC, 1.0, 0.25, 1);
            LinearProbe.Result result = LinearProbe.run(model, prompts, labels, options);
            assertEquals(List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_post"),
                    result.sites().stream().map(LinearProbe.Site::hook).toList());
            for (LinearProbe.Site s : result.sites()) {
                assertEquals(1.0, s.trainAccuracy(), s.toString());
                assertTrue(s.testAccuracy() >= 0.8, s.toString());
            }
            assertEquals(1.0, result.sites().getFirst().testAccuracy());
            assertEquals(0, result.best().layer());
            assertEquals(10, result.split().test().length);
            var json = result.toJson();
            assertEquals(40, json.get("examples"));
            assertEquals("logistic", json.get("method"));
            LinearProbe.Result mean = LinearProbe.run(model, prompts, labels,
                    new Options("blocks.1.hook_resid_pre", Pooling.MEAN, Method.RIDGE, 1.0, 0.25, 1));
            assertEquals(1, mean.sites().size());
            assertEquals(1, mean.sites().getFirst().layer());
            assertThrows(IllegalArgumentException.class, () -> LinearProbe.run(model, prompts, labels,
                    new Options("blocks.9.hook_nothing", Pooling.MEAN, Method.RIDGE, 1.0, 0.25, 1)));
        }
    }
}
