package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sparkdl.TestData;

@Timeout(120)
class SummaryTest {
    @TempDir
    Path dir;

    @Test
    void shouldExposeHistoryAsADataFrameWithTotalsAndAPlot() throws Exception {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 2)).setEpochs(3)
                .setBatchSize(32).setNumWorkers(1).setValidationFraction(0.2).fit(TestData.blobs(300, 4, 3, 1));
        TrainingSummary summary = model.summary();
        List<Row> rows = summary.history().orderBy("epoch").collectAsList();
        assertEquals(3, rows.size());
        assertEquals(List.of(TrainingSummary.SCHEMA.fieldNames()), List.of(summary.history().columns()));
        assertEquals(summary.records().get(2).trainLoss(), rows.get(2).getDouble(2));
        assertEquals("accuracy", summary.validationMetricName());
        assertEquals(summary.totalSamples(), rows.stream().mapToLong(r -> r.getLong(5)).sum());
        assertTrue(summary.samplesPerSecond() > 0);

        Path png = summary.plot(dir.resolve("history.png").toString());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
    }

    @Test
    void shouldLeaveValidationNullWithoutValidationRows() {
        DL4JRegressionModel model = new DL4JRegressor().setNetwork(TestData.regressionMlp(4, 8, 1)).setEpochs(1)
                .setNumWorkers(1).fit(TestData.blobs(50, 4, 2, 1));
        Row row = model.summary().history().first();
        assertNull(row.get(3));
        assertNull(row.get(TrainingSummary.SCHEMA.fieldIndex("staleness")), "a synchronous fit has no staleness");
        assertEquals("rmse", model.summary().validationMetricName());
    }
}
