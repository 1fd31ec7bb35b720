package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.TestSpark;

/** Recurrent networks on sequence columns, trained and scored through the Arrow path. */
@Timeout(300)
class SequenceTest {
    private static final StructType SEQUENCES = new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false)), true)
            .add("label", DataTypes.DoubleType, false);

    private static MultiLayerConfiguration lstm(int stepWidth, int outputs, boolean regression) {
        return new NeuralNetConfiguration.Builder().seed(5).updater(new Adam(0.02)).list()
                .layer(new LastTimeStep(new LSTM.Builder().nIn(stepWidth).nOut(16).activation(Activation.TANH).build()))
                .layer(new OutputLayer.Builder(regression ? LossFunctions.LossFunction.MSE
                        : LossFunctions.LossFunction.MCXENT).nIn(16).nOut(outputs)
                        .activation(regression ? Activation.IDENTITY : Activation.SOFTMAX).build())
                .build();
    }

    /** Sequences of 3 to 8 steps of 2 features; the class is the sign of the sum of feature 0. */
    private static List<float[]> sequence(Random random) {
        int steps = 3 + random.nextInt(6);
        List<float[]> out = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            out.add(new float[] {(float) random.nextGaussian(), (float) random.nextGaussian()});
        }
        return out;
    }

    private static Dataset<Row> signData(int rows, long seed) {
        Random random = new Random(seed);
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            List<float[]> steps = sequence(random);
            double sum = steps.stream().mapToDouble(step -> step[0]).sum();
            out.add(RowFactory.create(steps, sum > 0 ? 1.0 : 0.0));
        }
        return TestSpark.session().createDataFrame(out, SEQUENCES);
    }

    @Test
    void shouldLearnVariableLengthSequencesWellAboveChance() {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(lstm(2, 2, false)).setEpochs(15)
                .setBatchSize(32).setNumWorkers(2).fit(signData(400, 1));
        assertEquals(8, model.getMaxSequenceLength());
        assertEquals(8 * 3, model.numFeatures());
        double accuracy = new org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator()
                .setMetricName("accuracy").evaluate(model.transform(signData(200, 2)));
        assertTrue(accuracy > 0.8, "held-out accuracy " + accuracy + " (chance 0.5)");
    }

    @Test
    void shouldScoreASequenceTheSameWhetherPaddedOrNot(@TempDir Path dir) throws Exception {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(lstm(2, 2, false)).setEpochs(1)
                .setBatchSize(16).setNumWorkers(1).setMaxSequenceLength(10).fit(signData(40, 3));
        List<float[]> shortOne = List.of(new float[] {0.5f, -1}, new float[] {2, 0.25f}, new float[] {-1, 1});
        List<float[]> longOne = sequence(new Random(4));
        while (longOne.size() < 10) {
            longOne = new ArrayList<>(longOne);
            longOne.add(new float[] {3, 3});
        }
        Dataset<Row> alone = TestSpark.session().createDataFrame(List.of(RowFactory.create(shortOne, 0.0)), SEQUENCES);
        Dataset<Row> withLonger = TestSpark.session().createDataFrame(
                List.of(RowFactory.create(longOne, 0.0), RowFactory.create(shortOne, 0.0)), SEQUENCES).coalesce(1);

        double[] aloneP = ((Vector) model.transform(alone).first().getAs("probability")).toArray();
        double[] paddedP = ((Vector) model.transform(withLonger).collectAsList().get(1).getAs("probability")).toArray();
        INDArray unpadded = Nd4j.create(new float[] {0.5f, 2, -1, -1, 0.25f, 1}, new long[] {1, 2, 3}, 'c');
        float[] direct = ((MultiLayerNetwork) model.network()).output(unpadded).toFloatVector();
        for (int k = 0; k < 2; k++) {
            assertEquals(direct[k], aloneP[k], 1e-5);
            assertEquals(direct[k], paddedP[k], 1e-5);
        }

        String path = dir.resolve("lstm").toString();
        model.save(path);
        DL4JClassificationModel loaded = DL4JClassificationModel.load(path);
        assertEquals(10, loaded.getMaxSequenceLength());
        double[] loadedP = ((Vector) loaded.transform(alone).first().getAs("probability")).toArray();
        assertEquals(aloneP[0], loadedP[0], 1e-6);

        List<float[]> tooLong = new ArrayList<>(longOne);
        tooLong.add(new float[] {1, 1});
        Dataset<Row> bad = TestSpark.session().createDataFrame(List.of(RowFactory.create(tooLong, 0.0)), SEQUENCES);
        Exception e = assertThrows(Exception.class, () -> model.transform(bad).collectAsList());
        assertTrue(e.getMessage().contains("column 'features' at row 0 of partition 0: 11 steps, longer than the "
                + "maximum sequence length 10"), e.getMessage());
    }

    @Test
    void shouldBeatTheLastValueBaselineOnAGeneratedSeries() {
        int steps = 10;
        StructType flat = new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add("label", DataTypes.DoubleType, false);
        Random random = new Random(6);
        List<Row> train = new ArrayList<>();
        List<Row> test = new ArrayList<>();
        double baselineSquares = 0;
        for (int i = 0; i < 700; i++) {
            double frequency = 0.25 + 0.35 * random.nextDouble();
            double phase = random.nextDouble() * 2 * Math.PI;
            float[] window = new float[steps];
            for (int t = 0; t < steps; t++) {
                window[t] = (float) Math.sin(phase + frequency * t);
            }
            double next = Math.sin(phase + frequency * steps);
            (i < 500 ? train : test).add(RowFactory.create(window, next));
            if (i >= 500) {
                baselineSquares += (next - window[steps - 1]) * (next - window[steps - 1]);
            }
        }
        double baseline = Math.sqrt(baselineSquares / test.size());
        DL4JRegressionModel model = new DL4JRegressor().setNetwork(lstm(1, 1, true)).setSequenceLength(steps)
                .setEpochs(30).setBatchSize(32).setNumWorkers(1)
                .fit(TestSpark.session().createDataFrame(train, flat));
        double rmse = new org.apache.spark.ml.evaluation.RegressionEvaluator().setMetricName("rmse")
                .evaluate(model.transform(TestSpark.session().createDataFrame(test, flat)));
        assertTrue(rmse < 0.7 * baseline, "LSTM rmse " + rmse + " vs last-value baseline " + baseline);
    }

    @Test
    void shouldRejectSequenceLengthOnASequenceColumnAndOneThatDoesNotDivide() {
        Exception e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(lstm(2, 2, false)).setSequenceLength(4).fit(signData(10, 1)));
        assertTrue(e.getMessage().contains("set maxSequenceLength instead"), e.getMessage());
        StructType flat = new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add("label", DataTypes.DoubleType, false);
        Dataset<Row> data = TestSpark.session().createDataFrame(
                List.of(RowFactory.create(new float[] {1, 2, 3, 4, 5}, 0.0)), flat);
        e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier()
                .setNetwork(lstm(2, 2, false)).setSequenceLength(2).fit(data));
        assertTrue(e.getMessage().contains("sequenceLength = 2 does not divide the 5 values per row"), e.getMessage());
    }
}
