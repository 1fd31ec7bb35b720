package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestData;

/** Synchronous training with two ranks in one barrier stage (local[2]). */
@Timeout(300)
class AllreduceFitTest {

    @Test
    void shouldTrainWithTwoWorkers() {
        Dataset<Row> data = TestData.blobs(800, 5, 3, 21);
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(5, 16, 3, 7))
                .setEpochs(4).setBatchSize(32).setNumWorkers(2).fit(data);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(data));
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
        assertEquals(800L, model.trainingHistory().get(0).samples());
        assertEquals(4 * 25L, model.trainingHistory().get(3).step());
    }

    @Test
    void shouldUseEveryTaskSlotByDefaultAndSurviveAnEmptyPartition() {
        // One row for two ranks: rank 1 has nothing, yet joins every step.
        Dataset<Row> data = TestData.blobs(1, 3, 2, 4);
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(3, 4, 2, 1))
                .setEpochs(2).setBatchSize(4).fit(data);
        assertEquals(1L, model.trainingHistory().get(1).samples());
        assertEquals(1, model.transform(data).count());
    }

    @Test
    void shouldRejectSparseCompressionInAllreduceMode() {
        Dataset<Row> data = TestData.blobs(10, 3, 2, 4);
        Exception e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(TestData.mlp(3, 4, 2, 1)).setCompression("topk").setNumWorkers(2).fit(data));
        assertTrue(e.getMessage().contains("compression 'topk' needs trainingMode 'parameter-server'"), e.getMessage());
        assertTrue(e.getMessage().contains("trainingMode 'allreduce'"), e.getMessage());
    }

    @Test
    void shouldTrainWithTwoWorkersAndInt8GradientsOnTheWire() {
        Dataset<Row> data = TestData.blobs(800, 5, 3, 21);
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(5, 16, 3, 7))
                .setEpochs(4).setBatchSize(32).setNumWorkers(2).setCompression("int8").fit(data);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(data));
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
        assertEquals(4 * 25L, model.trainingHistory().get(3).step());
    }
}
