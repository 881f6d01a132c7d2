package owb.bench;

import java.util.Arrays;
import java.util.List;

/** The median of repeated measurements: the figure every benchmark reports, the machine being noisy. */
final class Median {
    private Median() {}

    static double of(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    static double of(List<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
