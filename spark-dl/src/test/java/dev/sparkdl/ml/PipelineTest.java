package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestData;
import dev.sparkdl.TestSpark;

@Timeout(600)
class PipelineTest {

    @Test
    void shouldFitAssemblerScalerClassifierPipeline() {
        Random random = new Random(5);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            int label = i % 2;
            // Raw columns on very different scales; only scaling makes them comparable.
            double a = (label == 0 ? 1000 : 1300) + random.nextGaussian() * 60;
            double b = (label == 0 ? 0.01 : -0.01) + random.nextGaussian() * 0.004;
            rows.add(RowFactory.create(a, b, (double) label));
        }
        StructType schema = new StructType().add("a", DataTypes.DoubleType).add("b", DataTypes.DoubleType)
                .add("label", DataTypes.DoubleType);
        Dataset<Row> data = TestSpark.session().createDataFrame(rows, schema);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
                new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("raw"),
                new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true),
                new DL4JClassifier().setNetwork(TestData.mlp(2, 8, 2, 3)).setEpochs(5).setBatchSize(32)
                        .setNumWorkers(1)});
        PipelineModel model = pipeline.fit(data);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(data));
        assertTrue(accuracy > 0.9, "accuracy " + accuracy);
    }

    @Test
    void shouldCrossValidateOverEpochsAndBatchSize() {
        Dataset<Row> data = TestData.blobs(600, 4, 3, 8);
        DL4JClassifier classifier = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 4)).setNumWorkers(1);
        ParamMap[] grid = new ParamGridBuilder()
                .addGrid(classifier.epochs(), new int[] {1, 4})
                .addGrid(classifier.batchSize(), new int[] {16, 64})
                .build();
        CrossValidatorModel cv = new CrossValidator()
                .setEstimator(classifier)
                .setEstimatorParamMaps(grid)
                .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
                .setNumFolds(2)
                .setSeed(1)
                .fit(data);
        assertEquals(4, cv.avgMetrics().length);
        DL4JClassificationModel best = (DL4JClassificationModel) cv.bestModel();
        // The grid's best is the one that trained longest on the smallest batches.
        assertEquals(4, best.trainingHistory().size());
        double bestMetric = java.util.Arrays.stream(cv.avgMetrics()).max().orElseThrow();
        assertTrue(bestMetric > 0.9, "best cross-validated accuracy " + bestMetric);
    }

    @Test
    void shouldBeatAConstantOnANonlinearRegression() {
        Random random = new Random(3);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            double x1 = random.nextDouble() * 4 - 2;
            double x2 = random.nextDouble() * 4 - 2;
            double y = Math.sin(2 * x1) + 0.5 * x2 * x2;
            rows.add(RowFactory.create(org.apache.spark.ml.linalg.Vectors.dense(x1, x2), y));
        }
        Dataset<Row> data = TestSpark.session().createDataFrame(rows, TestData.VECTOR_SCHEMA);
        DL4JRegressionModel model = new DL4JRegressor().setNetwork(TestData.regressionMlp(2, 32, 6))
                .setEpochs(30).setBatchSize(32).setNumWorkers(1).fit(data);
        RegressionEvaluator rmse = new RegressionEvaluator().setMetricName("rmse");
        double modelRmse = rmse.evaluate(model.transform(data));
        double mean = data.agg(org.apache.spark.sql.functions.avg("label")).first().getDouble(0);
        double constantRmse = rmse.evaluate(data.withColumn("prediction", org.apache.spark.sql.functions.lit(mean)));
        assertTrue(modelRmse < 0.3 * constantRmse, "model RMSE " + modelRmse + " vs constant " + constantRmse);
    }
}
