package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.TestData;

/** trainingMode "parameter-server" with two ranks in one barrier stage (local[2]). */
@Timeout(300)
class ParameterServerFitTest {
    private static final MulticlassClassificationEvaluator ACCURACY =
            new MulticlassClassificationEvaluator().setMetricName("accuracy");

    private static DL4JClassifier classifier() {
        return new DL4JClassifier().setNetwork(TestData.mlp(5, 16, 3, 7)).setEpochs(3).setBatchSize(32)
                .setNumWorkers(2).setShuffle(false);
    }

    private static INDArray params(DL4JClassificationModel model) {
        return ((MultiLayerNetwork) model.network()).params();
    }

    @Test
    void shouldMatchAllreduceWhenSynchronous() {
        Dataset<Row> data = TestData.blobs(600, 5, 3, 21).cache();
        DL4JClassificationModel allreduce = classifier().fit(data);
        DL4JClassificationModel ps = classifier().setTrainingMode("parameter-server").setStaleness(0).fit(data);
        double diff = params(allreduce).sub(params(ps)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-4, "s = 0 parameter server differs from allreduce by " + diff);
        assertEquals(allreduce.trainingHistory().get(2).samples(), ps.trainingHistory().get(2).samples());
        assertTrue(ps.trainingHistory().get(2).bytesExchanged() > 0);
    }

    @Test
    void shouldLearnWithStalenessCompressionAndValidation() {
        Dataset<Row> data = TestData.blobs(600, 5, 3, 22).cache();
        for (String compression : new String[] {"none", "threshold", "int8"}) {
            DL4JClassificationModel model = classifier().setTrainingMode("parameter-server").setStaleness(4)
                    .setCompression(compression).setValidationFraction(0.2).fit(data);
            double accuracy = ACCURACY.evaluate(model.transform(data));
            assertTrue(accuracy > 0.9, compression + " accuracy " + accuracy);
            assertTrue(model.trainingHistory().get(2).validationMetric() > 0.85,
                    compression + " validation " + model.trainingHistory().get(2).validationMetric());
        }
    }
}
