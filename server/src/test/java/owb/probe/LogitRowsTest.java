package owb.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The vectorised lens statistics against the double-precision scalar ones. */
class LogitRowsTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 100, 1000, 4099, 49152})
    void statisticsMatchTheScalarReference(int vocab) {
        SplittableRandom r = new SplittableRandom(vocab);
        int from = 3;
        float[] x = new float[from + vocab];
        float[] y = new float[from + vocab];
        for (int i = 0; i < vocab; i++) {
            x[from + i] = (float) (r.nextGaussian() * 4);
            y[from + i] = (float) (r.nextGaussian() * 4 + 20);
            if (i % 11 == 5) x[from + i] = x[from + i - 1];     // ties
        }
        double[] logp = Distributions.logSoftmax(x, from, vocab);
        double[] logq = Distributions.logSoftmax(y, from, vocab);
        LogitRows.Softmax sx = LogitRows.softmax(x, from, vocab);
        LogitRows.Softmax sy = LogitRows.softmax(y, from, vocab);
        assertEquals(Distributions.entropy(logp), sx.entropy(), 1e-5);
        assertEquals(x[from] - logp[0], sx.logZ(), 1e-5);

        float[] p = new float[vocab];
        LogitRows.probabilities(x, from, vocab, sx.logZ(), p);
        for (int i = 0; i < vocab; i += Math.max(1, vocab / 50)) assertEquals(Math.exp(logp[i]), p[i], 1e-6);
        assertEquals(Distributions.kl(logp, logq), LogitRows.kl(p, x, from, sx.logZ(), y, from, sy.logZ()), 1e-4);
        assertEquals(0.0, LogitRows.kl(p, x, from, sx.logZ(), x, from, sx.logZ()), 1e-5);

        for (int id : new int[] {0, vocab / 2, vocab - 1}) assertEquals(Distributions.rank(logp, id), LogitRows.rank(x, from, vocab, id));
        for (int k : new int[] {1, 5, 40}) {
            List<TokenProb> expected = Distributions.topValues(logp, k);
            List<TokenProb> actual = LogitRows.top(x, from, vocab, k);
            assertEquals(expected.stream().map(TokenProb::id).toList(), actual.stream().map(TokenProb::id).toList());
        }
    }
}
