package dev.sparkdl.ml;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import dev.sparkdl.train.EpochRecord;

/**
 * The history of the fit that made a model, one row per epoch, with totals; saved with the model.
 * {@link #plot} draws loss and validation metric per epoch to a PNG.
 */
public final class TrainingSummary {
    public static final StructType SCHEMA = new StructType()
            .add("epoch", DataTypes.IntegerType, false)
            .add("step", DataTypes.LongType, false)
            .add("trainLoss", DataTypes.DoubleType, true)
            .add("validationLoss", DataTypes.DoubleType, true)
            .add("validationMetric", DataTypes.DoubleType, true)
            .add("samples", DataTypes.LongType, false)
            .add("samplesPerSecond", DataTypes.DoubleType, false)
            .add("seconds", DataTypes.DoubleType, false)
            .add("exchangeSeconds", DataTypes.DoubleType, false)
            .add("bytesExchanged", DataTypes.LongType, false)
            .add("staleness", DataTypes.DoubleType, true);

    private final List<EpochRecord> history;
    private final String metricName;

    TrainingSummary(List<EpochRecord> history, String metricName) {
        this.history = List.copyOf(history);
        this.metricName = metricName;
    }

    public List<EpochRecord> records() {
        return history;
    }

    /** The history as a DataFrame (nulls where an epoch had no validation). */
    public Dataset<Row> history() {
        List<Row> rows = new ArrayList<>();
        for (EpochRecord r : history) {
            rows.add(RowFactory.create(r.epoch(), r.step(), orNull(r.trainLoss()), orNull(r.validationLoss()),
                    orNull(r.validationMetric()), r.samples(), r.samplesPerSecond(), r.seconds(), r.exchangeSeconds(),
                    r.bytesExchanged(), orNull(r.staleness())));
        }
        return SparkSession.active().createDataFrame(rows, SCHEMA);
    }

    /** "accuracy" for a classifier, "rmse" for a regressor. */
    public String validationMetricName() {
        return metricName;
    }

    public int epochs() {
        return history.size();
    }

    public double totalSeconds() {
        return history.stream().mapToDouble(EpochRecord::seconds).sum();
    }

    public long totalSamples() {
        return history.stream().mapToLong(EpochRecord::samples).sum();
    }

    public double samplesPerSecond() {
        double seconds = totalSeconds();
        return seconds > 0 ? totalSamples() / seconds : 0;
    }

    public double exchangeSeconds() {
        return history.stream().mapToDouble(EpochRecord::exchangeSeconds).sum();
    }

    public long bytesExchanged() {
        return history.isEmpty() ? 0 : history.get(history.size() - 1).bytesExchanged();
    }

    public double finalTrainLoss() {
        return history.isEmpty() ? Double.NaN : history.get(history.size() - 1).trainLoss();
    }

    /** Writes a PNG of training loss, validation loss and the validation metric per epoch. */
    public Path plot(String path) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("spark-dl training")
                .xAxisTitle("epoch").yAxisTitle("loss").build();
        chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        addSeries(chart, "train loss", EpochRecord::trainLoss, 0);
        if (history.stream().anyMatch(EpochRecord::hasValidation)) {
            addSeries(chart, "validation loss", EpochRecord::validationLoss, 0);
            addSeries(chart, "validation " + metricName, EpochRecord::validationMetric, 1);
            chart.setYAxisGroupTitle(1, metricName);
        }
        String file = path.endsWith(".png") ? path.substring(0, path.length() - 4) : path;
        BitmapEncoder.saveBitmap(chart, file, BitmapEncoder.BitmapFormat.PNG);
        return Path.of(file + ".png");
    }

    private void addSeries(XYChart chart, String name, java.util.function.ToDoubleFunction<EpochRecord> value,
                           int axis) {
        double[] x = new double[history.size()];
        double[] y = new double[history.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = history.get(i).epoch();
            y[i] = value.applyAsDouble(history.get(i));
        }
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setYAxisGroup(axis);
    }

    private static Double orNull(double value) {
        return Double.isNaN(value) ? null : value;
    }
}
