package owb.cli;

import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TextColumnsTest {

    @Test
    void fixedWritesWhatFormatterWritesInTheUsLocale() {
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            double magnitude = Math.pow(10, random.nextInt(12) - 6);
            double v = switch (i % 4) {
                case 0 -> random.nextGaussian() * magnitude;
                case 1 -> (double) (float) (random.nextGaussian() * magnitude);   // logprobs are floats
                case 2 -> Math.round(random.nextGaussian() * 1e5) / 1e5 + 0.00005; // on a rounding edge
                default -> -random.nextDouble() * 1e-4;                            // rounds to -0.0000
            };
            for (int decimals : new int[]{0, 1, 4}) {
                String format = "%." + decimals + "f";
                assertEquals(String.format(Locale.US, format, v), TextColumns.fixed(v, decimals), "value " + v);
            }
        }
        for (double v : new double[]{0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, 1e300, -1e-300, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE}) {
            assertEquals(String.format(Locale.US, "%.4f", v), TextColumns.fixed(v, 4), "value " + v);
        }
    }

    @Test
    void columnsPadToTheirWidthAndNeverCut() {
        assertEquals(String.format("%8s|%-7s|", "-3.0971", 79),
                TextColumns.left(TextColumns.right(new StringBuilder(), "-3.0971", 8).append('|'), 79, 7).append('|').toString());
        assertEquals("longer than 4|", TextColumns.right(new StringBuilder(), "longer than 4", 4).append('|').toString());
        assertEquals("longer than 4|", TextColumns.left(new StringBuilder(), "longer than 4", 4).append('|').toString());
    }
}
