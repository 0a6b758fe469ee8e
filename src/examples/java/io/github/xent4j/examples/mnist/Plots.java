package io.github.xent4j.examples.mnist;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PNG plots with XChart, rendered headless (no display needed; {@code java.awt.headless} is
 * set before the first AWT class loads):
 * <ul>
 *   <li>{@value #CURVES}: the loss of every minibatch (light) and each epoch's mean, and the
 *       test accuracy after each epoch;</li>
 *   <li>{@value #CONFUSION}: the confusion matrix on the test set, counts in each cell.</li>
 * </ul>
 */
final class Plots {

    static final String CURVES = "training-curves.png";
    static final String CONFUSION = "confusion-matrix.png";

    private Plots() {
    }

    /** Writes {@value #CURVES} into {@code dir} (created if needed); returns its path. */
    static Path writeCurves(Path dir, String title, List<EpochStats> history, List<Double> batchLosses)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path curves = dir.resolve(CURVES);
        save(curves, List.of(lossChart(title, history, batchLosses), accuracyChart(history)), 1, 2);
        return curves;
    }

    /** Writes {@value #CONFUSION} into {@code dir} (created if needed); returns its path. */
    static Path writeConfusion(Path dir, String title, int[][] confusion, List<String> classNames)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path matrix = dir.resolve(CONFUSION);
        save(matrix, List.of(confusionChart(title, confusion, classNames)), 1, 1);
        return matrix;
    }

    private static XYChart lossChart(String title, List<EpochStats> history, List<Double> batchLosses) {
        XYChart chart = new XYChartBuilder().width(640).height(440).title("Training loss: " + title)
                .xAxisTitle("minibatch").yAxisTitle("loss").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setMarkerSize(5);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        int epochs = history.size();
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (int i = 0; i < batchLosses.size(); i++) {
            if (batchLosses.get(i) > 0) {
                x.add((double) (i + 1));
                y.add(batchLosses.get(i));
            }
        }
        if (!x.isEmpty()) {
            XYSeries s = chart.addSeries("minibatch", x, y);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(new Color(150, 180, 230));
            s.setLineWidth(1f);
        }
        if (epochs > 0) {
            // Each epoch's mean at its last minibatch (minibatches are spread evenly over epochs).
            double perEpoch = (double) batchLosses.size() / epochs;
            XYSeries mean = chart.addSeries("epoch mean",
                    history.stream().map(e -> Math.max(1.0, Math.round(e.epoch() * perEpoch))).toList(),
                    history.stream().map(e -> Math.max(e.trainLoss(), 1e-6)).toList());
            mean.setLineColor(new Color(20, 60, 160));
            mean.setMarker(SeriesMarkers.CIRCLE);
            mean.setMarkerColor(new Color(20, 60, 160));
        }
        return chart;
    }

    private static XYChart accuracyChart(List<EpochStats> history) {
        XYChart chart = new XYChartBuilder().width(640).height(440).title("Test accuracy")
                .xAxisTitle("epoch").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setMarkerSize(6);
        chart.getStyler().setYAxisDecimalPattern("0.00");
        chart.getStyler().setXAxisDecimalPattern("0");
        if (!history.isEmpty()) {
            XYSeries s = chart.addSeries("test accuracy", history.stream().map(e -> (double) e.epoch()).toList(),
                    history.stream().map(e -> 100 * e.testAccuracy()).toList());
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(new Color(200, 80, 20));
            s.setMarkerColor(new Color(200, 80, 20));
        }
        return chart;
    }

    private static HeatMapChart confusionChart(String title, int[][] confusion, List<String> classNames) {
        int k = confusion.length;
        HeatMapChart chart = new HeatMapChartBuilder().width(760).height(700)
                .title("Confusion matrix (test): " + title).xAxisTitle("predicted").yAxisTitle("actual").build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setRangeColors(new Color[]{new Color(250, 250, 255), new Color(120, 160, 230),
                new Color(40, 80, 180)});
        chart.getStyler().setValueFontColor(Color.BLACK);
        chart.getStyler().setLegendVisible(false);
        List<String> predicted = new ArrayList<>(classNames);
        // Rows from the top: actual class 0 first, as the matrix is usually read.
        List<String> actual = new ArrayList<>();
        for (int a = k - 1; a >= 0; a--) {
            actual.add(classNames.get(a));
        }
        List<Number[]> cells = new ArrayList<>();
        for (int a = 0; a < k; a++) {
            for (int p = 0; p < k; p++) {
                cells.add(new Number[]{p, k - 1 - a, confusion[a][p]});
            }
        }
        chart.addSeries("counts", predicted, actual, cells);
        return chart;
    }

    private static <T extends org.knowm.xchart.internal.chartpart.Chart<?, ?>> void save(
            Path file, List<T> charts, int rows, int cols) throws IOException {
        AtomicFiles.write(file, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                if (charts.size() == 1) {
                    BitmapEncoder.saveBitmap(charts.get(0), out, BitmapEncoder.BitmapFormat.PNG);
                } else {
                    BitmapEncoder.saveBitmap(charts, rows, cols, out, BitmapEncoder.BitmapFormat.PNG);
                }
            }
        });
    }
}
