package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestData;
import dev.sparkdl.TestSpark;

/** Each bad input fails the fit before training with a message naming what is wrong. */
@Timeout(120)
class BadInputTest {

    private static Dataset<Row> frame(Row... rows) {
        List<Row> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(RowFactory.create(Vectors.dense(i, 1, 2, 3), (double) (i % 2)));
        }
        all.addAll(List.of(rows));
        return TestSpark.session().createDataFrame(all, TestData.VECTOR_SCHEMA).coalesce(1);
    }

    private static DL4JClassifier classifier() {
        return new DL4JClassifier().setNetwork(TestData.mlp(4, 4, 2, 1)).setEpochs(1).setNumWorkers(1);
    }

    private static void assertFitFails(DL4JEstimator<?, ?> estimator, Dataset<Row> data, String... parts) {
        Exception e = assertThrows(IllegalArgumentException.class, () -> estimator.fit(data));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
        }
    }

    @Test
    void shouldNameNullFeatures() {
        assertFitFails(classifier(), frame(RowFactory.create(null, 1.0)),
                "column 'features' at row 8 of partition 0: null", "1 of 9 rows are bad");
    }

    @Test
    void shouldNameVectorOfWrongLength() {
        assertFitFails(classifier(), frame(RowFactory.create(Vectors.dense(1, 2, 3), 1.0)),
                "column 'features' at row 8", "length 3, expected 4");
    }

    @Test
    void shouldNameNaNAndInfiniteFeatures() {
        assertFitFails(classifier(), frame(RowFactory.create(Vectors.dense(1, Double.NaN, 3, 4), 0.0)),
                "column 'features' at row 8", "NaN at index 1");
        assertFitFails(classifier(), frame(RowFactory.create(Vectors.dense(1, 2, Double.POSITIVE_INFINITY, 4), 0.0)),
                "infinite value Infinity at index 2");
    }

    @Test
    void shouldNameLabelsOutsideTheClasses() {
        assertFitFails(classifier(), frame(RowFactory.create(Vectors.dense(1, 2, 3, 4), 2.0)),
                "column 'label' at row 8", "label 2.0 is not a class", "integer class index in 0..1");
        assertFitFails(classifier(), frame(RowFactory.create(Vectors.dense(1, 2, 3, 4), 0.5)),
                "label 0.5 is not a class");
        assertFitFails(classifier(), frame(RowFactory.create(Vectors.dense(1, 2, 3, 4), null)),
                "column 'label' at row 8 of partition 0: null");
    }

    @Test
    void shouldNameNetworkInputWidthMismatch() {
        assertFitFails(new DL4JClassifier().setNetwork(TestData.mlp(10, 4, 2, 1)).setNumWorkers(1), frame(),
                "network: its input layer expects 10 features but column 'features' holds 4");
    }

    @Test
    void shouldNameNetworkOutputWidthMismatch() {
        Dataset<Row> data = frame();
        Dataset<Row> threeClasses = data.withColumn("label", functions.col("label").as("label",
                NominalAttribute.defaultAttr().withNumValues(3).toMetadata()));
        assertFitFails(classifier(), threeClasses, "output layer has 2 units but column 'label' has 3 classes");
        assertFitFails(new DL4JRegressor().setNetwork(TestData.mlp(4, 4, 2, 1)).setNumWorkers(1), data,
                "regressor", "output width is 2");
    }

    @Test
    void shouldRejectAnEmptyDataFrame() {
        Dataset<Row> empty = frame().limit(0);
        assertFitFails(classifier(), empty, "empty");
    }

    private static void assertTransformFails(DL4JModel<?> model, Dataset<Row> data, String... parts) {
        Exception e = assertThrows(Exception.class, () -> model.transform(data).collectAsList());
        for (String part : parts) {
            assertTrue(String.valueOf(e.getMessage()).contains(part),
                    "message '" + e.getMessage() + "' should contain '" + part + "'");
        }
    }

    @Test
    void shouldNameTheColumnAndRowOfBadFeaturesAtInference() {
        DL4JClassificationModel model = classifier().fit(frame());
        assertTransformFails(model, frame(RowFactory.create(null, 1.0)),
                "column 'features' at row 8 of partition 0: null");
        assertTransformFails(model, frame(RowFactory.create(Vectors.dense(1, 2, 3), 1.0)),
                "column 'features' at row 8 of partition 0: length 3, expected 4");
        assertTransformFails(model, frame(RowFactory.create(Vectors.dense(1, 2, Double.NaN, 4), 1.0)),
                "column 'features' at row 8 of partition 0: NaN at index 2");
    }
}
