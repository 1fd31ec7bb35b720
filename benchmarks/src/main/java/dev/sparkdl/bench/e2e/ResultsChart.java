package dev.sparkdl.bench.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** A bar chart of samples/s per configuration (training loop and whole fit), written as a PNG. */
final class ResultsChart {
    private static final int WIDTH = 1300;
    private static final int HEIGHT = 560;

    private ResultsChart() {
    }

    static void writePng(List<RunResult> results, RunEnvironment environment, Path png)
            throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> loop = new ArrayList<>();
        List<Double> fit = new ArrayList<>();
        for (RunResult r : results) {
            if (r.ok()) {
                names.add(String.format(Locale.ROOT, "%s (acc %.3f)", r.name(), r.testAccuracy()));
                loop.add(r.loopSamplesPerSecond());
                fit.add(r.fitSamplesPerSecond());
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(String.format(Locale.ROOT, "Fashion-MNIST, %s, %d epochs, batch %d, %d cores, "
                        + "load avg %.2f", environment.network(), environment.epochs(), environment.batchSize(), environment.cores(),
                        environment.loadAverageAtStart()))
                .xAxisTitle("configuration").yAxisTitle("samples/s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setXAxisLabelRotation(20);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("#,###");
        chart.addSeries("training loop", names, loop);
        chart.addSeries("whole fit", names, fit);
        String file = png.toString();
        BitmapEncoder.saveBitmap(chart, file.endsWith(".png") ? file.substring(0, file.length() - 4) : file,
                BitmapEncoder.BitmapFormat.PNG);
    }
}
