package owb.report;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SpectrumChartTest {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void drawsALowRankSpectrumWithItsCliffAndCutOff() throws Exception {
        double[] sigma = new double[64];
        for (int i = 0; i < 64; i++) sigma[i] = i < 4 ? 0.17 - 0.01 * i : 3e-8 / (1 + i);
        byte[] png = SpectrumChart.png("model.layers.1.self_attn.q_proj.weight", sigma, 1e-3 * sigma[0], 480, 270);
        assertArrayEquals(PNG_MAGIC, Arrays.copyOf(png, 8));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(480, image.getWidth());
        assertEquals(270, image.getHeight());
    }

    @Test
    void leavesOutZerosWhichALogAxisCannotShow() throws Exception {
        byte[] png = SpectrumChart.png("exact rank 2", new double[] {2, 1, 0, 0}, Double.NaN, 200, 100);
        assertEquals(200, ImageIO.read(new ByteArrayInputStream(png)).getWidth());
    }

    @Test
    void refusesASpectrumWithNothingPositive() {
        assertThrows(IllegalArgumentException.class, () -> SpectrumChart.png("zero", new double[] {0, 0}, Double.NaN, 200, 100));
        assertThrows(IllegalArgumentException.class, () -> SpectrumChart.png("none", new double[0], Double.NaN, 200, 100));
    }
}
