package dev.sparkdl;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small generated data sets and networks for the tests. */
public final class TestData {
    public static final StructType VECTOR_SCHEMA = new StructType()
            .add("features", new VectorUDT(), true)
            .add("label", DataTypes.DoubleType, true);

    private TestData() {
    }

    /** {@code classes} Gaussian blobs in {@code width} dimensions, well separated. */
    public static Dataset<Row> blobs(int rows, int width, int classes, long seed) {
        Random random = new Random(seed);
        double[][] centres = new double[classes][width];
        for (double[] centre : centres) {
            for (int d = 0; d < width; d++) {
                centre[d] = random.nextGaussian() * 3;
            }
        }
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            int label = i % classes;
            double[] x = new double[width];
            for (int d = 0; d < width; d++) {
                x[d] = centres[label][d] + random.nextGaussian() * 0.5;
            }
            out.add(RowFactory.create(Vectors.dense(x), (double) label));
        }
        return TestSpark.session().createDataFrame(out, VECTOR_SCHEMA);
    }

    public static MultiLayerConfiguration mlp(int inputs, int hidden, int outputs, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(0.01))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(inputs).nOut(hidden).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(hidden).nOut(outputs).activation(Activation.SOFTMAX).build())
                .build();
    }

    public static MultiLayerConfiguration regressionMlp(int inputs, int hidden, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(0.01))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(inputs).nOut(hidden).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(hidden).nOut(hidden).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(hidden).nOut(1).activation(Activation.IDENTITY).build())
                .build();
    }

    public static ComputationGraphConfiguration graph(int inputs, int hidden, int outputs, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(0.01))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(inputs).nOut(hidden)
                        .activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(hidden).nOut(outputs).activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out")
                .build();
    }
}
