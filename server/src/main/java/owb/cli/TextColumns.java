package owb.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Padded columns and fixed-point numbers for a command's text output, the same in every locale.
 * {@link java.util.Formatter} would write the default locale's decimal separator ({@code -3,0971}
 * under de_DE), and its first use in a process costs about 30 ms (locale providers, service
 * lookups): 3% of a cold {@code owb run}, spent after its forward pass.
 */
final class TextColumns {

    private TextColumns() {
    }

    /**
     * {@code value} with {@code decimals} digits after the point, as {@code String.format(Locale.US,
     * "%.Nf", value)} writes it: the shortest decimal that reads back as the double, rounded half up;
     * a negative value that rounds to zero keeps its sign.
     */
    static String fixed(double value, int decimals) {
        if (Double.isNaN(value)) return "NaN";
        if (Double.isInfinite(value)) return value > 0 ? "Infinity" : "-Infinity";
        String digits = BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
        boolean negative = value < 0 || Double.doubleToRawLongBits(value) == Long.MIN_VALUE;
        return negative && digits.charAt(0) != '-' ? "-" + digits : digits;
    }

    /** {@code text} after enough spaces to fill {@code width} (as {@code %Ns}). */
    static StringBuilder right(StringBuilder sb, Object text, int width) {
        String s = String.valueOf(text);
        sb.repeat(' ', Math.max(0, width - s.length()));
        return sb.append(s);
    }

    /** {@code text} followed by enough spaces to fill {@code width} (as {@code %-Ns}). */
    static StringBuilder left(StringBuilder sb, Object text, int width) {
        String s = String.valueOf(text);
        sb.append(s);
        return sb.repeat(' ', Math.max(0, width - s.length()));
    }
}
