package owb.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;

/**
 * The singular values of a delta as a PNG: σ_i against i (1-based), on a logarithmic value axis so
 * that a low-rank update's cliff and a full-rank tail both show; optionally a dashed line at the
 * cut-off the numerical rank counts against.
 */
public final class SpectrumChart {

    static {
        // AWT must not look for a display: charts are drawn on servers and in CI.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private static final Color LINE = new Color(0x3b6ea5);
    private static final Color CUTOFF = new Color(0xb04a3b);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

    private SpectrumChart() {}

    /**
     * @param singularValues descending; values that are not positive cannot sit on a log axis and are left out
     * @param cutoff         where the numerical rank stops counting (drawn as a dashed line), or NaN for none
     * @throws IllegalArgumentException when no value is positive, or the size is not positive
     */
    public static byte[] png(String title, double[] singularValues, double cutoff, int width, int height) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("chart size must be positive");
        XYSeries series = new XYSeries("singular value");
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (int i = 0; i < singularValues.length; i++) {
            double s = singularValues[i];
            if (!(s > 0) || !Double.isFinite(s)) continue;
            series.add(i + 1, s);
            min = Math.min(min, s);
            max = Math.max(max, s);
        }
        if (series.getItemCount() == 0) throw new IllegalArgumentException("no positive singular value to draw");
        JFreeChart chart = ChartFactory.createXYLineChart(title, "index i", "singular value σᵢ",
                new XYSeriesCollection(series), PlotOrientation.VERTICAL, false, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(TITLE_FONT);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        LogAxis values = new LogAxis("singular value σᵢ (log scale)");
        values.setBase(10);
        values.setSmallestValue(Math.min(min, Double.isFinite(cutoff) && cutoff > 0 ? cutoff : min) / 2);
        values.setAutoRange(true);
        values.setNumberFormatOverride(new DecimalFormat("0.0#E0", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        plot.setRangeAxis(values);
        NumberAxis index = (NumberAxis) plot.getDomainAxis();
        index.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        index.setLowerBound(0.5);
        index.setUpperBound(singularValues.length + 0.5);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, LINE);
        renderer.setSeriesStroke(0, new BasicStroke(1.5f));
        plot.setRenderer(renderer);
        if (Double.isFinite(cutoff) && cutoff > 0) {
            ValueMarker marker = new ValueMarker(cutoff, CUTOFF, new BasicStroke(1f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
            marker.setLabel("rank cut-off");
            marker.setLabelPaint(CUTOFF);
            marker.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            marker.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
            plot.addRangeMarker(marker);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(png, chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return png.toByteArray();
    }
}
