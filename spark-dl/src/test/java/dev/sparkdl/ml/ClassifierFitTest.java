package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestData;

@Timeout(300)
class ClassifierFitTest {

    private static final MulticlassClassificationEvaluator ACCURACY =
            new MulticlassClassificationEvaluator().setMetricName("accuracy");

    @Test
    void shouldLearnSeparableBlobsAndEmitMllibColumns() {
        Dataset<Row> data = TestData.blobs(600, 5, 3, 1);
        DL4JClassificationModel model = new DL4JClassifier()
                .setNetwork(TestData.mlp(5, 16, 3, 7))
                .setEpochs(5).setBatchSize(32).setNumWorkers(1)
                .fit(data);
        Dataset<Row> scored = model.transform(data);

        assertEquals(List.of("features", "label", "rawPrediction", "probability", "prediction"),
                List.of(scored.columns()));
        double accuracy = ACCURACY.evaluate(scored);
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
        for (Row row : scored.limit(20).collectAsList()) {
            Vector probability = row.getAs("probability");
            double sum = 0;
            for (double p : probability.toArray()) {
                sum += p;
            }
            assertEquals(1.0, sum, 1e-5);
            assertEquals(probability.argmax(), (int) row.<Double>getAs("prediction").doubleValue());
        }
        assertEquals(3, model.numClasses());
        assertEquals(5, model.numFeatures());
        assertInstanceOf(MultiLayerNetwork.class, model.network());
        assertEquals(5, model.trainingHistory().size());
        assertTrue(model.trainingHistory().get(4).trainLoss() < model.trainingHistory().get(0).trainLoss(),
                "loss should fall: " + model.trainingHistory());
        assertEquals(600L * 5, model.trainingHistory().stream().mapToLong(r -> r.samples()).sum());
    }

    @Test
    void shouldTrainOnFloatAndDoubleArrayColumns() {
        Dataset<Row> data = TestData.blobs(300, 4, 2, 2);
        Dataset<Row> asDoubles = data.withColumn("features",
                org.apache.spark.ml.functions.vector_to_array(data.col("features"), "float64"));
        Dataset<Row> asFloats = data.withColumn("features",
                org.apache.spark.ml.functions.vector_to_array(data.col("features"), "float32"));
        for (Dataset<Row> frame : List.of(asDoubles, asFloats)) {
            DL4JClassificationModel model = new DL4JClassifier()
                    .setNetwork(TestData.mlp(4, 8, 2, 3))
                    .setEpochs(4).setBatchSize(16).setNumWorkers(1)
                    .fit(frame);
            double accuracy = ACCURACY.evaluate(model.transform(frame));
            assertTrue(accuracy > 0.95, frame.schema().apply("features").dataType() + " accuracy " + accuracy);
        }
    }

    @Test
    void shouldTrainComputationGraph() {
        Dataset<Row> data = TestData.blobs(400, 6, 4, 3);
        DL4JClassificationModel model = new DL4JClassifier()
                .setNetwork(TestData.graph(6, 16, 4, 5))
                .setEpochs(5).setBatchSize(32).setNumWorkers(1)
                .fit(data);
        assertInstanceOf(ComputationGraph.class, model.network());
        double accuracy = ACCURACY.evaluate(model.transform(data));
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
    }

    @Test
    void shouldHandleMorePartitionsThanRows() {
        Dataset<Row> data = TestData.blobs(6, 3, 2, 4).repartition(12);
        DL4JClassificationModel model = new DL4JClassifier()
                .setNetwork(TestData.mlp(3, 4, 2, 1))
                .setEpochs(2).setBatchSize(4).setNumWorkers(1)
                .fit(data);
        Dataset<Row> scored = model.transform(data);
        assertEquals(6, scored.count());
        assertEquals(0, scored.filter(functions.col("prediction").isNull()).count());
        assertEquals(12, model.trainingHistory().size() * 6);
    }
}
