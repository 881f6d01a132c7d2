package owb.report;

import org.junit.jupiter.api.Test;
import owb.audit.Histogram;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HistogramChartTest {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void drawsAPngOfTheGivenSize() throws Exception {
        double[] edges = new double[65];
        long[] counts = new long[64];
        for (int i = 0; i <= 64; i++) edges[i] = -1 + i / 32.0;
        for (int i = 0; i < 64; i++) counts[i] = Math.round(1000 * Math.exp(-Math.pow((i - 31.5) / 8, 2)));
        byte[] png = HistogramChart.png("blk.0.attn_q.weight", new Histogram(edges, counts), 480, 270);
        assertArrayEquals(PNG_MAGIC, Arrays.copyOf(png, 8));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(480, image.getWidth());
        assertEquals(270, image.getHeight());
    }

    @Test
    void drawsAConstantTensorWhoseBinsAllHaveZeroWidth() throws Exception {
        long[] counts = new long[64];
        counts[0] = 10;
        byte[] png = HistogramChart.png("zeros", new Histogram(new double[65], counts), 200, 100);
        assertEquals(200, ImageIO.read(new ByteArrayInputStream(png)).getWidth());
    }

    @Test
    void rejectsEdgesThatDoNotMatchTheCounts() {
        assertThrows(IllegalArgumentException.class,
                () -> HistogramChart.png("bad", new Histogram(new double[64], new long[64]), 200, 100));
    }
}
