package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestData;
import dev.sparkdl.train.EpochRecord;

@Timeout(300)
class ValidationTest {

    /** Every fifth row is a validation row, deterministically. */
    private static Dataset<Row> withValidationColumn(Dataset<Row> data) {
        return data.withColumn("id", functions.monotonically_increasing_id())
                .withColumn("holdout", functions.col("id").mod(5).equalTo(0)).drop("id").cache();
    }

    @Test
    void shouldMergeValidationExactlyAcrossTwoWorkers() {
        Dataset<Row> data = withValidationColumn(TestData.blobs(500, 4, 3, 31));
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 2)).setEpochs(3)
                .setBatchSize(32).setNumWorkers(2).setValidationCol("holdout").fit(data);
        List<EpochRecord> history = model.trainingHistory();
        assertEquals(3, history.size());
        EpochRecord last = history.get(2);
        Dataset<Row> heldOut = data.filter("holdout");
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(heldOut));
        assertEquals(accuracy, last.validationMetric(), 1e-9, "merged validation accuracy");
        assertTrue(Double.isFinite(last.validationLoss()) && last.validationLoss() > 0, "loss " + last.validationLoss());
        // Held-out rows are not trained on: 400 of 500 rows per epoch.
        assertEquals(400, last.samples());
        assertTrue(last.bytesExchanged() > 0, "a two-worker fit exchanges bytes");
    }

    @Test
    void shouldReportRmseForARegressor() {
        Dataset<Row> data = withValidationColumn(TestData.blobs(300, 2, 3, 5));
        DL4JRegressionModel model = new DL4JRegressor().setNetwork(TestData.regressionMlp(2, 8, 1)).setEpochs(2)
                .setNumWorkers(1).setValidationCol("holdout").fit(data);
        double rmse = new RegressionEvaluator().setMetricName("rmse").evaluate(model.transform(data.filter("holdout")));
        assertEquals(rmse, model.trainingHistory().get(1).validationMetric(), 1e-5);
    }

    @Test
    void shouldStopEarlyAndKeepTheBestParameters() {
        Dataset<Row> data = withValidationColumn(TestData.blobs(400, 4, 2, 9));
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 2, 4)).setEpochs(40)
                .setBatchSize(16).setNumWorkers(1).setValidationCol("holdout").setEarlyStoppingPatience(2).fit(data);
        List<EpochRecord> history = model.trainingHistory();
        assertTrue(history.size() < 40, "separable blobs stop improving long before 40 epochs: " + history.size());
        double best = history.stream().mapToDouble(EpochRecord::validationMetric).max().orElseThrow();
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(data.filter("holdout")));
        assertEquals(best, accuracy, 1e-9, "the model keeps the best epoch's parameters");
    }

    @Test
    void shouldHoldOutAFractionAtRandom() {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 2)).setEpochs(1)
                .setNumWorkers(1).setValidationFraction(0.25).fit(TestData.blobs(400, 4, 3, 3));
        EpochRecord record = model.trainingHistory().get(0);
        assertTrue(record.samples() > 250 && record.samples() < 350, "trained on " + record.samples());
        assertTrue(record.hasValidation());
    }

    @Test
    void shouldRejectEarlyStoppingWithoutValidationAndANonBooleanColumn() {
        Dataset<Row> data = TestData.blobs(20, 4, 2, 1);
        Exception noValidation = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(TestData.mlp(4, 8, 2, 2)).setEarlyStoppingPatience(3).fit(data));
        assertTrue(noValidation.getMessage().contains("earlyStoppingPatience = 3 needs validation rows"),
                noValidation.getMessage());
        Exception notBoolean = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(TestData.mlp(4, 8, 2, 2)).setValidationCol("label").fit(data));
        assertTrue(notBoolean.getMessage().contains("'label' has type double"), notBoolean.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier().setValidationFraction(1.0));
    }
}
