package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.TestSpark;

/** Many-to-many recurrent networks (an RnnOutputLayer): per-step labels in, per-step predictions out. */
@Timeout(300)
class ManyToManyTest {
    private static final DataType STEPS = DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false));
    private static final StructType TAGGED = new StructType()
            .add("features", STEPS, true)
            .add("tags", DataTypes.createArrayType(DataTypes.IntegerType, true), true);

    private static MultiLayerConfiguration tagger() {
        return new NeuralNetConfiguration.Builder().seed(5).updater(new Adam(0.03)).list()
                .layer(new LSTM.Builder().nIn(2).nOut(16).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    /**
     * Sequences of 3 to 8 steps of 2 features; step t's tag says whether feature 0 of steps t-1
     * and t sum above 0, so the tagger needs memory of the previous step.
     */
    private static Dataset<Row> tagged(int rows, long seed) {
        Random random = new Random(seed);
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            int steps = 3 + random.nextInt(6);
            List<float[]> sequence = new ArrayList<>();
            int[] tags = new int[steps];
            float previous = 0;
            for (int s = 0; s < steps; s++) {
                float x = (float) random.nextGaussian();
                sequence.add(new float[] {x, (float) random.nextGaussian()});
                tags[s] = previous + x > 0 ? 1 : 0;
                previous = x;
            }
            out.add(RowFactory.create(sequence, boxed(tags)));
        }
        return TestSpark.session().createDataFrame(out, TAGGED);
    }

    private static Integer[] boxed(int[] values) {
        return java.util.Arrays.stream(values).boxed().toArray(Integer[]::new);
    }

    /** Per-step accuracy of a transformed frame: every real step of every row counts once. */
    private static double stepAccuracy(Dataset<Row> scored) {
        long right = 0;
        long all = 0;
        for (Row row : scored.select("tags", "prediction").collectAsList()) {
            List<Integer> tags = row.getList(0);
            List<Double> predicted = row.getList(1);
            assertEquals(tags.size(), predicted.size(), "one prediction per real step");
            for (int s = 0; s < tags.size(); s++) {
                right += tags.get(s) == predicted.get(s).intValue() ? 1 : 0;
                all++;
            }
        }
        return (double) right / all;
    }

    @Test
    void shouldTagEveryStepWellAboveChanceWithTwoWorkersInAllreduceMode() {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(tagger()).setLabelCol("tags")
                .setTrainingMode("allreduce").setNumWorkers(2).setEpochs(5).setBatchSize(32)
                .setValidationFraction(0.2).fit(tagged(300, 1));
        assertTrue(model.perStepOutput());
        Dataset<Row> scored = model.transform(tagged(150, 2));
        StructType schema = scored.schema();
        assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), schema.apply("prediction").dataType());
        assertEquals(DataTypes.createArrayType(SQLDataTypes.VectorType(), false),
                schema.apply("probability").dataType());
        double accuracy = stepAccuracy(scored);
        assertTrue(accuracy > 0.85, "per-step held-out accuracy " + accuracy + " (chance 0.5)");
        // Validation scores real steps only, so its accuracy is a per-step figure too.
        double validated = model.trainingHistory().get(model.trainingHistory().size() - 1).validationMetric();
        assertTrue(validated > 0.8, "per-step validation accuracy " + validated);
    }

    @Test
    void shouldPredictTheSameStepsPaddedOrNotAndSurviveSaveAndLoad(@TempDir Path dir) throws Exception {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(tagger()).setLabelCol("tags")
                .setNumWorkers(1).setEpochs(1).setBatchSize(16).setMaxSequenceLength(10).fit(tagged(40, 3));
        List<float[]> shortOne = List.of(new float[] {0.5f, -1}, new float[] {2, 0.25f}, new float[] {-1, 1});
        List<float[]> longOne = new ArrayList<>();
        for (int s = 0; s < 10; s++) {
            longOne.add(new float[] {3, -3});
        }
        Integer[] shortTags = {1, 1, 1};
        Dataset<Row> alone = TestSpark.session().createDataFrame(
                List.of(RowFactory.create(shortOne, shortTags)), TAGGED);
        Dataset<Row> withLonger = TestSpark.session().createDataFrame(List.of(
                RowFactory.create(longOne, boxed(new int[10])), RowFactory.create(shortOne, shortTags)), TAGGED)
                .coalesce(1);

        List<Vector> aloneP = model.transform(alone).first().getList(model.transform(alone).schema()
                .fieldIndex("probability"));
        Row padded = model.transform(withLonger).collectAsList().get(1);
        List<Vector> paddedP = padded.getList(padded.fieldIndex("probability"));
        // The network alone, on the unpadded sequence [1 x 2 features x 3 steps].
        float[][] direct = ((MultiLayerNetwork) model.network())
                .output(Nd4j.create(new float[] {0.5f, 2, -1, -1, 0.25f, 1}, new long[] {1, 2, 3}, 'c'))
                .slice(0).transpose().toFloatMatrix();
        assertEquals(3, aloneP.size());
        assertEquals(3, paddedP.size());
        for (int s = 0; s < 3; s++) {
            for (int k = 0; k < 2; k++) {
                assertEquals(direct[s][k], aloneP.get(s).apply(k), 1e-5, "step " + s);
                assertEquals(direct[s][k], paddedP.get(s).apply(k), 1e-5, "step " + s + " next to a longer row");
            }
        }

        String path = dir.resolve("tagger").toString();
        model.save(path);
        DL4JClassificationModel loaded = DL4JClassificationModel.load(path);
        assertEquals(10, loaded.getMaxSequenceLength());
        List<Vector> loadedP = loaded.transform(alone).first().getList(loaded.transform(alone).schema()
                .fieldIndex("probability"));
        assertEquals(aloneP.get(2).apply(1), loadedP.get(2).apply(1), 1e-6);
    }

    private static void assertFitFails(DL4JEstimator<?, ?> estimator, Dataset<Row> data, String... parts) {
        Exception e = assertThrows(IllegalArgumentException.class, () -> estimator.fit(data));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
        }
    }

    private static Dataset<Row> withBadRow(Object tags) {
        List<Row> rows = new ArrayList<>(tagged(6, 7).collectAsList());
        rows.add(RowFactory.create(List.of(new float[] {1, 2}, new float[] {3, 4}, new float[] {5, 6}), tags));
        return TestSpark.session().createDataFrame(rows, TAGGED).coalesce(1);
    }

    @Test
    void shouldNameBadLabelRows() {
        DL4JClassifier classifier = new DL4JClassifier().setNetwork(tagger()).setLabelCol("tags").setNumWorkers(1)
                .setEpochs(1);
        assertFitFails(classifier, withBadRow(new Integer[] {0, 1}), "column 'tags' at row 6 of partition 0",
                "2 time steps of labels, but column 'features' has 3 steps");
        assertFitFails(classifier, withBadRow(new Integer[] {0, 1, 2}), "column 'tags' at row 6",
                "step 2: label 2.0 is not a class", "integer class index in 0..1");
        assertFitFails(classifier, withBadRow(new Integer[] {0, null, 1}), "column 'tags' at row 6", "null");
        assertFitFails(classifier, withBadRow(null), "column 'tags' at row 6 of partition 0: null");

        StructType targets = new StructType().add("features", STEPS, true)
                .add("y", DataTypes.createArrayType(DataTypes.DoubleType, false), true);
        Dataset<Row> nan = TestSpark.session().createDataFrame(List.of(RowFactory.create(
                List.of(new float[] {1, 2}, new float[] {3, 4}), new double[] {0.5, Double.NaN})), targets);
        assertFitFails(new DL4JRegressor().setNetwork(stepRegressor(1)).setLabelCol("y").setNumWorkers(1), nan,
                "column 'y' at row 0", "NaN at index 1");
    }

    @Test
    void shouldRejectALabelColumnThatDoesNotMatchTheNetwork() {
        MultiLayerConfiguration manyToOne = new NeuralNetConfiguration.Builder().list()
                .layer(new LastTimeStep(new LSTM.Builder().nIn(2).nOut(4).build()))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        assertFitFails(new DL4JClassifier().setNetwork(manyToOne).setLabelCol("tags"), tagged(4, 1),
                "Column 'tags' has type array<int>, a label per time step, but the network's output layer predicts "
                        + "once per row");
        StructType oneLabel = new StructType().add("features", STEPS, true).add("label", DataTypes.DoubleType, false);
        Dataset<Row> data = TestSpark.session().createDataFrame(List.of(RowFactory.create(
                List.of(new float[] {1, 2}), 1.0)), oneLabel);
        assertFitFails(new DL4JClassifier().setNetwork(tagger()), data,
                "Column 'label' has type double; the network's output layer is an RnnOutputLayer",
                "array<int> or array<double>");
        StructType flat = new StructType().add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add("tags", DataTypes.createArrayType(DataTypes.IntegerType, false), true);
        Dataset<Row> notSequences = TestSpark.session().createDataFrame(List.of(RowFactory.create(
                new float[] {1, 2}, new Integer[] {1})), flat);
        assertFitFails(new DL4JClassifier().setNetwork(tagger()).setLabelCol("tags"), notSequences,
                "RnnOutputLayer", "are not a sequence");
    }

    private static ComputationGraphConfiguration stepRegressorGraph(int targets) {
        return new NeuralNetConfiguration.Builder().seed(9).updater(new Adam(0.03)).graphBuilder()
                .addInputs("in")
                .addLayer("lstm", new LSTM.Builder().nIn(2).nOut(16).activation(Activation.TANH).build(), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(16).nOut(targets)
                        .activation(Activation.IDENTITY).build(), "lstm")
                .setOutputs("out")
                .build();
    }

    private static MultiLayerConfiguration stepRegressor(int targets) {
        return new NeuralNetConfiguration.Builder().seed(9).list()
                .layer(new LSTM.Builder().nIn(2).nOut(8).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(8).nOut(targets)
                        .activation(Activation.IDENTITY).build())
                .build();
    }

    @Test
    void shouldRegressOneTargetPerStepIntoAnArrayOfDoubles() {
        StructType schema = new StructType().add("features", STEPS, true)
                .add("y", DataTypes.createArrayType(DataTypes.DoubleType, false), true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            List<float[]> sequence = new ArrayList<>();
            double[] y = new double[1 + i % 4];
            for (int s = 0; s < y.length; s++) {
                sequence.add(new float[] {i, s});
                y[s] = i - s;
            }
            rows.add(RowFactory.create(sequence, y));
        }
        Dataset<Row> data = TestSpark.session().createDataFrame(rows, schema);
        DL4JRegressionModel model = new DL4JRegressor().setNetwork(stepRegressor(1)).setLabelCol("y")
                .setNumWorkers(1).setEpochs(1).fit(data);
        Dataset<Row> scored = model.transform(data);
        assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), scored.schema().apply("prediction").dataType());
        for (Row row : scored.select("y", "prediction").collectAsList()) {
            assertEquals(row.getList(0).size(), row.getList(1).size(), "one prediction per real step");
        }
    }

    @Test
    void shouldRegressTwoTargetsPerStepWithAComputationGraph() {
        StructType schema = new StructType().add("features", STEPS, true)
                .add("y", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType, false), false), true);
        Random random = new Random(11);
        List<Row> rows = new ArrayList<>();
        double zeroSquares = 0;
        long values = 0;
        for (int i = 0; i < 300; i++) {
            int steps = 2 + random.nextInt(5);
            List<float[]> sequence = new ArrayList<>();
            double[][] y = new double[steps][];
            double sum = 0;
            for (int s = 0; s < steps; s++) {
                float a = (float) random.nextGaussian();
                float b = (float) random.nextGaussian();
                sequence.add(new float[] {a, b});
                sum += a;
                y[s] = new double[] {sum / 2, b};
                zeroSquares += y[s][0] * y[s][0] + y[s][1] * y[s][1];
                values += 2;
            }
            rows.add(RowFactory.create(sequence, y));
        }
        Dataset<Row> data = TestSpark.session().createDataFrame(rows, schema);
        DL4JRegressionModel model = new DL4JRegressor().setNetwork(stepRegressorGraph(2)).setLabelCol("y")
                .setNumWorkers(2).setEpochs(15).setBatchSize(32).fit(data);
        Dataset<Row> scored = model.transform(data);
        assertEquals(DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType, false), false),
                scored.schema().apply("prediction").dataType());
        double squares = 0;
        for (Row row : scored.select("y", "prediction").collectAsList()) {
            List<scala.collection.Seq<Double>> expected = row.getList(0);
            List<scala.collection.Seq<Double>> predicted = row.getList(1);
            assertEquals(expected.size(), predicted.size());
            for (int s = 0; s < expected.size(); s++) {
                for (int t = 0; t < 2; t++) {
                    double error = predicted.get(s).apply(t) - expected.get(s).apply(t);
                    squares += error * error;
                }
            }
        }
        double rmse = Math.sqrt(squares / values);
        double zeroRmse = Math.sqrt(zeroSquares / values);
        assertTrue(rmse < 0.5 * zeroRmse, "per-step rmse " + rmse + " vs predicting 0: " + zeroRmse);
    }
}
