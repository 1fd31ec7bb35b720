package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.TestData;
import dev.sparkdl.TestSpark;

/** A ComputationGraph with two inputs fed by featuresCols, in order, for training and scoring. */
@Timeout(240)
class MultiInputTest {
    private static final StructType SCHEMA = new StructType()
            .add("left", new VectorUDT(), true)
            .add("right", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("label", DataTypes.DoubleType, false);

    /** The class needs both inputs: the sign of left[0] + right[2]. */
    private static Dataset<Row> data(int rows, long seed) {
        Random random = new Random(seed);
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            double a = random.nextGaussian();
            float b = (float) random.nextGaussian();
            out.add(RowFactory.create(Vectors.dense(a, random.nextGaussian()),
                    new float[] {(float) random.nextGaussian(), (float) random.nextGaussian(), b}, a + b > 0 ? 1.0 : 0.0));
        }
        return TestSpark.session().createDataFrame(out, SCHEMA);
    }

    private static ComputationGraphConfiguration twoInputs() {
        return new NeuralNetConfiguration.Builder().seed(2).updater(new Adam(0.02)).graphBuilder()
                .addInputs("left", "right")
                .addLayer("l", new DenseLayer.Builder().nIn(2).nOut(8).activation(Activation.TANH).build(), "left")
                .addLayer("r", new DenseLayer.Builder().nIn(3).nOut(8).activation(Activation.TANH).build(), "right")
                .addVertex("merge", new MergeVertex(), "l", "r")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "merge")
                .setOutputs("out")
                .build();
    }

    @Test
    void shouldFeedEachColumnToItsGraphInputInOrder(@TempDir Path dir) throws Exception {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(twoInputs()).setFeaturesCols("left", "right")
                .setEpochs(20).setBatchSize(32).setNumWorkers(2).fit(data(400, 1));
        assertEquals(5, model.numFeatures());
        Dataset<Row> test = data(200, 2);
        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        double fitted = accuracy.evaluate(model.transform(test));
        assertTrue(fitted > 0.9, "accuracy " + fitted);

        String path = dir.resolve("graph").toString();
        model.save(path);
        DL4JClassificationModel loaded = DL4JClassificationModel.load(path);
        assertEquals(List.of("left", "right"), loaded.inputColumns());
        assertEquals(fitted, accuracy.evaluate(loaded.transform(test)), 1e-12);
    }

    @Test
    void shouldRejectAColumnCountThatDoesNotMatchTheGraphsInputs() {
        Dataset<Row> data = data(20, 3).withColumn("extra", org.apache.spark.sql.functions.col("right"));
        Exception e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(twoInputs()).setFeaturesCols("left", "right", "extra").fit(data));
        assertTrue(e.getMessage().contains("featuresCols names 3 columns [left, right, extra] but the network has 2 "
                + "inputs [left, right]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(TestData.mlp(5, 4, 2, 1)).setFeaturesCols("left", "right").fit(data));
        assertTrue(e.getMessage().contains("one input (a MultiLayerNetwork)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(twoInputs()).setFeaturesCols("left", "nope").fit(data));
        assertTrue(e.getMessage().contains("'nope' does not exist"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier().setFeaturesCols("left", "left"));
    }

    @Test
    void shouldNameTheColumnAndInputWhoseWidthsDiffer() {
        Dataset<Row> data = data(20, 4);
        // Swapped columns: 'right' (3 values) reaches the input whose first layer reads 2, and back.
        Exception e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(twoInputs()).setFeaturesCols("right", "left").setNumWorkers(1).fit(data));
        assertTrue(e.getMessage().contains("featuresCols: column 'right' holds 3 values per row but the graph's input "
                + "'left' (input 0) expects 2"), e.getMessage());
        // Widths from setInputTypes (DL4J infers each layer's nIn from them).
        ComputationGraphConfiguration typed = new NeuralNetConfiguration.Builder().seed(2).graphBuilder()
                .addInputs("a", "b")
                .setInputTypes(InputType.feedForward(2), InputType.feedForward(4))
                .addLayer("l", new DenseLayer.Builder().nOut(4).build(), "a")
                .addLayer("r", new DenseLayer.Builder().nOut(4).build(), "b")
                .addVertex("merge", new MergeVertex(), "l", "r")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "merge")
                .setOutputs("out")
                .build();
        e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(typed).setFeaturesCols("left", "right").setNumWorkers(1).fit(data));
        assertTrue(e.getMessage().contains("column 'right' holds 3 values per row but the graph's input 'b' "
                + "(input 1) expects 4"), e.getMessage());
    }
}
