package owb.report;

import owb.checkpoint.TensorEntry;
import owb.tensor.TensorReader;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A matrix too large to look at element by element, block-averaged down to at most size × size
 * cells and drawn one pixel per cell. A tensor of rank above 2 is read as [dim0, rest].
 *
 * @param rows   cells down (tensor rows, or blocks of them)
 * @param cols   cells across
 * @param values row-major [rows, cols] block means (of |x| or of x, as asked)
 * @param blockRows tensor rows per cell (the last cell may hold fewer)
 * @param blockCols tensor columns per cell
 */
public record TensorHeatmap(int rows, int cols, float[] values, long blockRows, long blockCols) {

    /** How a block of values becomes one cell. */
    public enum Mode {
        /** mean |x|, drawn on a sequential scale from 0 to the largest cell */
        ABS,
        /** mean x, drawn on a diverging scale symmetric about 0 */
        SIGNED
    }

    /**
     * Reads the tensor row by row as stored (never the whole tensor at once) and averages blocks of
     * it. A tensor of rank below 2 has no heatmap.
     */
    public static TensorHeatmap of(TensorEntry tensor, int size, Mode mode) {
        if (size < 1) throw new IllegalArgumentException("size must be positive");
        if (tensor.rank() < 2) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' has rank " + tensor.rank()
                    + ": a heatmap needs a matrix (rank 2 or more)");
        }
        if (tensor.numel() == 0) throw new IllegalArgumentException("tensor '" + tensor.name() + "' is empty");
        long tensorRows = tensor.dim(0), tensorCols = tensorRows == 0 ? 0 : tensor.numel() / tensorRows;
        if (tensorCols > Integer.MAX_VALUE) throw new IllegalArgumentException("rows too long to read at once");
        long blockRows = Math.max(1, ceilDiv(tensorRows, size));
        long blockCols = Math.max(1, ceilDiv(tensorCols, size));
        int rows = (int) ceilDiv(tensorRows, blockRows);
        int cols = (int) ceilDiv(tensorCols, blockCols);
        double[] sums = new double[rows * cols];
        long[] counts = new long[rows * cols];
        float[] row = new float[(int) tensorCols];
        for (long r = 0; r < tensorRows; r++) {
            TensorReader.readFloats(tensor, r * tensorCols, row.length, row, 0);
            int base = (int) (r / blockRows) * cols;
            for (int c = 0; c < row.length; c++) {
                float x = row[c];
                if (!Float.isFinite(x)) continue;
                int cell = base + (int) (c / blockCols);
                sums[cell] += mode == Mode.ABS ? Math.abs(x) : x;
                counts[cell]++;
            }
        }
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = counts[i] == 0 ? Float.NaN : (float) (sums[i] / counts[i]);
        return new TensorHeatmap(rows, cols, values, blockRows, blockCols);
    }

    /**
     * One pixel per cell: ABS from white through blue to near black (0 .. largest cell), SIGNED
     * from blue through white to red (-m .. m, m the largest |cell|). Cells with no finite value
     * are drawn mid grey.
     */
    public byte[] png(Mode mode) {
        float scale = 0;
        for (float v : values) if (Float.isFinite(v)) scale = Math.max(scale, Math.abs(v));
        BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = values[r * cols + c];
                int rgb;
                if (!Float.isFinite(v)) rgb = 0x808080;
                else if (scale == 0) rgb = 0xffffff;
                else rgb = mode == Mode.ABS ? sequential(v / scale) : diverging(v / scale);
                image.setRGB(c, r, rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /** t in [0, 1]: white (255,255,255) -> blue (59,110,165) -> dark (16,24,48). */
    static int sequential(double t) {
        t = Math.clamp(t, 0, 1);
        return t < 0.5 ? mix(0xffffff, 0x3b6ea5, t * 2) : mix(0x3b6ea5, 0x101830, (t - 0.5) * 2);
    }

    /** t in [-1, 1]: blue (33,102,172) -> white -> red (178,24,43), as ColorBrewer's RdBu. */
    static int diverging(double t) {
        t = Math.clamp(t, -1, 1);
        return t < 0 ? mix(0xffffff, 0x2166ac, -t) : mix(0xffffff, 0xb2182b, t);
    }

    private static int mix(int from, int to, double t) {
        int r = (int) Math.round(((from >> 16) & 0xff) * (1 - t) + ((to >> 16) & 0xff) * t);
        int g = (int) Math.round(((from >> 8) & 0xff) * (1 - t) + ((to >> 8) & 0xff) * t);
        int b = (int) Math.round((from & 0xff) * (1 - t) + (to & 0xff) * t);
        return (r << 16) | (g << 8) | b;
    }

    private static long ceilDiv(long a, long b) {
        return b == 0 ? 0 : (a + b - 1) / b;
    }
}
