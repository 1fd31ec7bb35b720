package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestSpark;
import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.demo.FashionMnistDemo;

/** The demo's network on a subset; fails with the install command when the data set is missing. */
@Timeout(600)
class FashionMnistTest {

    @Test
    void shouldReachUsefulAccuracyOnASubset() throws Exception {
        Dataset<Row> train = FashionMnist.train(TestSpark.session(), 12_000).cache();
        Dataset<Row> test = FashionMnist.test(TestSpark.session(), 2_000).cache();
        assertEquals(12_000, train.count());
        assertEquals(10, train.select("label").distinct().count());

        DL4JClassificationModel model = new DL4JClassifier().setNetwork(FashionMnistDemo.mlp(1))
                .setEpochs(2).setBatchSize(128).setNumWorkers(1).fit(train);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(test));
        assertTrue(accuracy > 0.78, "test accuracy " + accuracy);
        train.unpersist();
        test.unpersist();
    }
}
