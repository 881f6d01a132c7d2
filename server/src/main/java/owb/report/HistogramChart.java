package owb.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import owb.audit.Histogram;

import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** A tensor's value histogram as a PNG bar chart: one bar per bin, spanning the bin's edges. */
public final class HistogramChart {

    static {
        // AWT must not look for a display: charts are drawn on servers and in CI.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private static final Color BAR = new Color(0x3b6ea5);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

    private HistogramChart() {}

    /**
     * @param h      {@code edges.length == counts.length + 1}, edges ascending
     * @param width  pixels
     * @param height pixels
     */
    public static byte[] png(String title, Histogram h, int width, int height) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("chart size must be positive");
        if (h.edges().length != h.counts().length + 1) {
            throw new IllegalArgumentException("histogram needs one more edge than counts");
        }
        XYIntervalSeries bins = new XYIntervalSeries("count");
        for (int i = 0; i < h.counts().length; i++) {
            double low = h.edges()[i], high = h.edges()[i + 1];
            bins.add((low + high) / 2, low, high, h.counts()[i], 0, h.counts()[i]);
        }
        XYIntervalSeriesCollection dataset = new XYIntervalSeriesCollection();
        dataset.addSeries(bins);

        JFreeChart chart = ChartFactory.createXYBarChart(title, "value", false, "count", dataset,
                PlotOrientation.VERTICAL, false, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(TITLE_FONT); // tensor names run long; the default bold 18pt clips them
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        XYBarRenderer renderer = (XYBarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardXYBarPainter());
        renderer.setShadowVisible(false);
        renderer.setSeriesPaint(0, BAR);

        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(png, chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return png.toByteArray();
    }
}
