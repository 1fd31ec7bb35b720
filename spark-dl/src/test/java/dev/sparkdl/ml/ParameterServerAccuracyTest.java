package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.TestSpark;
import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.train.EpochRecord;

/**
 * Parameter-server mode learns as well as allreduce on a Fashion-MNIST subset, at staleness 4 with each
 * compression, after the same epochs: within the 1.5 points (#5). The model is 784-64-10 with Adam
 * (2e-3, times 0.8 each epoch), batch 64, 12 epochs on 8,000 rows; the allreduce reference is fitted once for
 * the class.
 *
 * <p>The learning rate decays because a fit's last epoch at a constant rate is one point on a curve that still
 * swings by a point or more from epoch to epoch: at a constant 2e-3 every codec landed anywhere from 0.5 better to
 * 1.9 points worse than allreduce from one run to the next (the gap depends on how far the workers happened to
 * drift apart), so this test needed a 2.5-point band and measured nothing finer. With the decay the runs agree to a
 * few tenths (gaps in points, none / threshold / int8 / topk at k = 5,000: 0.0 / 0.2 / 0.2 / 0.8, 0.4 / 0.4 / 0.1 /
 * 0.8, 0.0 / 0.2 / 0.5 / 0.8; at k = 2,500: 1.3 and 0.9 for topk). Top-k sends k = 5,000 of the 50,890 values per
 * step (10%). Gradients are damped by 1 / (1 + staleness) and the owners step with the fused Adam pass (see
 * {@code ParameterServerExchangeTest} for the exact stale-synchronous arithmetic, {@link ParameterServerFitTest}
 * for s = 0 matching allreduce parameter for parameter). Fails with the install command when the data set is
 * missing.
 */
@Timeout(900)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParameterServerAccuracyTest {
    private static final int EPOCHS = 12;
    /** The 1.5 points. */
    private static final double TOLERANCE = 0.015;
    private static final int TRAIN_ROWS = 8_000;
    private static final MulticlassClassificationEvaluator ACCURACY =
            new MulticlassClassificationEvaluator().setMetricName("accuracy");

    private Dataset<Row> train;
    private Dataset<Row> test;
    private double reference;

    /** 784-64-10 with Adam decaying per epoch: small enough for seconds per fit, big enough to be a real network. */
    private static MultiLayerConfiguration mlp() {
        return new NeuralNetConfiguration.Builder().seed(11)
                .updater(new Adam(new ExponentialSchedule(ScheduleType.EPOCH, 2e-3, 0.8))).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(FashionMnist.PIXELS).nOut(64).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(64).nOut(FashionMnist.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    private static DL4JClassifier classifier() {
        return new DL4JClassifier().setNetwork(mlp()).setEpochs(EPOCHS).setBatchSize(64).setNumWorkers(2).setSeed(5);
    }

    @BeforeAll
    void fitTheAllreduceReference() throws Exception {
        train = FashionMnist.train(TestSpark.session(), TRAIN_ROWS).cache();
        test = FashionMnist.test(TestSpark.session(), 0).cache();
        assertEquals(TRAIN_ROWS, train.count());
        reference = ACCURACY.evaluate(classifier().fit(train).transform(test));
        assertTrue(reference > 0.75, "the allreduce reference learned too little to compare with: " + reference);
    }

    @AfterAll
    void release() {
        train.unpersist();
        test.unpersist();
    }

    @ParameterizedTest(name = "staleness 4, compression {0}")
    @ValueSource(strings = {"none", "threshold", "int8", "topk"})
    void shouldLearnWithinOneAndAHalfPointsOfAllreduce(String compression) {
        DL4JClassificationModel model = classifier().setTrainingMode("parameter-server").setStaleness(4)
                // k = 10% of the 50,890 values per step (the default, 1,000, is 2%).
                .setCompression(compression).setCompressionTopK(5_000).fit(train);
        double accuracy = ACCURACY.evaluate(model.transform(test));
        assertEquals(EPOCHS, model.trainingHistory().size());
        double staleness = model.trainingHistory().stream().mapToDouble(EpochRecord::staleness).average().orElseThrow();
        System.out.printf("parameter server (s = 4, %s): test accuracy %.4f, allreduce %.4f, mean staleness %.2f%n",
                compression, accuracy, reference, staleness);
        assertTrue(accuracy >= reference - TOLERANCE, String.format(
                "parameter server (s = 4, %s) test accuracy %.4f, allreduce %.4f", compression, accuracy, reference));
    }
}
