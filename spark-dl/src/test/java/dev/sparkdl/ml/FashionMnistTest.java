package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestSpark;
import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.demo.FashionMnistDemo;

/** The demo's network on a subset; fails with the install command when the data set is missing. */
@Timeout(600)
class FashionMnistTest {

    @Test
    void shouldReachUsefulAccuracyOnASubsetWithOneAndTwoWorkers() throws Exception {
        Dataset<Row> train = FashionMnist.train(TestSpark.session(), 12_000).cache();
        Dataset<Row> test = FashionMnist.test(TestSpark.session(), 0).cache();
        assertEquals(12_000, train.count());
        assertEquals(10, train.select("label").distinct().count());

        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        double[] byWorkers = new double[3];
        for (int workers = 1; workers <= 2; workers++) {
            DL4JClassificationModel model = new DL4JClassifier().setNetwork(FashionMnistDemo.mlp(1))
                    .setEpochs(2).setBatchSize(128).setNumWorkers(workers).fit(train);
            byWorkers[workers] = accuracy.evaluate(model.transform(test));
        }
        assertTrue(byWorkers[1] > 0.78, "one worker: test accuracy " + byWorkers[1]);
        assertEquals(byWorkers[1], byWorkers[2], 0.01, "two workers reach one worker's accuracy within a point");
        train.unpersist();
        test.unpersist();
    }

    @Test
    void shouldTrainASmallCnnOnFlatPixelsWithTwoWorkers() throws Exception {
        Dataset<Row> train = FashionMnist.train(TestSpark.session(), 2_000).cache();
        Dataset<Row> test = FashionMnist.test(TestSpark.session(), 500).cache();
        MultiLayerConfiguration cnn = new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(2e-3))
                .weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(6).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(cnn).setEpochs(2).setBatchSize(64)
                .setNumWorkers(2).fit(train);
        assertEquals(784, model.numFeatures());
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(test));
        assertTrue(accuracy > 0.65, "CNN test accuracy " + accuracy);
        train.unpersist();
        test.unpersist();
    }
}
