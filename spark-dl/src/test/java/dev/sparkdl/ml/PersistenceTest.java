package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sparkdl.TestData;

@Timeout(300)
class PersistenceTest {
    private static Dataset<Row> data;
    private static DL4JClassificationModel model;

    @TempDir
    Path dir;

    @BeforeAll
    static void train() {
        data = TestData.blobs(200, 4, 3, 11);
        model = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 2)).setEpochs(2).setBatchSize(32)
                .setNumWorkers(1).setProbabilityCol("p").fit(data);
    }

    private static List<Row> predictions(Dataset<Row> scored, String probabilityCol) {
        return scored.select("prediction", probabilityCol).collectAsList();
    }

    private static void assertSamePredictions(List<Row> expected, List<Row> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).getDouble(0), actual.get(i).getDouble(0));
            assertArrayEquals(((Vector) expected.get(i).get(1)).toArray(), ((Vector) actual.get(i).get(1)).toArray());
        }
    }

    @Test
    void shouldRoundTripAClassificationModel() throws Exception {
        String path = dir.resolve("model").toString();
        model.write().overwrite().save(path);
        DL4JClassificationModel loaded = DL4JClassificationModel.load(path);
        assertEquals(model.uid(), loaded.uid());
        assertEquals("p", loaded.getProbabilityCol());
        assertEquals(3, loaded.numClasses());
        assertEquals(4, loaded.numFeatures());
        assertEquals(model.trainingHistory(), loaded.trainingHistory());
        assertSamePredictions(predictions(model.transform(data), "p"), predictions(loaded.transform(data), "p"));
        assertTrue(Files.exists(dir.resolve("model/data/params.bin")));
        assertTrue(Files.exists(dir.resolve("model/metadata")));
    }

    @Test
    void shouldRoundTripARegressionModelAndBothEstimators() throws Exception {
        DL4JRegressionModel regression = new DL4JRegressor().setNetwork(TestData.regressionMlp(4, 8, 1))
                .setEpochs(1).setNumWorkers(1).setLabelCol("label").fit(data);
        String path = dir.resolve("regression").toString();
        regression.save(path);
        DL4JRegressionModel loaded = DL4JRegressionModel.load(path);
        assertEquals(regression.transform(data).select("prediction").collectAsList(),
                loaded.transform(data).select("prediction").collectAsList());

        DL4JClassifier estimator = new DL4JClassifier().setEpochs(4).setBatchSize(7).setNetwork(TestData.mlp(4, 8, 3, 2));
        estimator.save(dir.resolve("classifier").toString());
        DL4JClassifier estimatorLoaded = DL4JClassifier.load(dir.resolve("classifier").toString());
        assertEquals(4, estimatorLoaded.getEpochs());
        assertEquals(7, estimatorLoaded.getBatchSize());
        assertEquals(estimator.getNetwork(), estimatorLoaded.getNetwork());

        new DL4JRegressor().setEpochs(2).write().save(dir.resolve("regressor").toString());
        assertEquals(2, DL4JRegressor.load(dir.resolve("regressor").toString()).getEpochs());
    }

    @Test
    void shouldRoundTripInsideAPipelineModel() throws Exception {
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
                new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 2)).setEpochs(2).setNumWorkers(1)});
        PipelineModel fitted = pipeline.fit(data);
        String path = dir.resolve("pipeline").toString();
        fitted.write().overwrite().save(path);
        PipelineModel loaded = PipelineModel.load(path);
        assertTrue(loaded.stages()[0] instanceof DL4JClassificationModel);
        assertSamePredictions(predictions(fitted.transform(data), "probability"),
                predictions(loaded.transform(data), "probability"));
    }

    @Test
    void shouldRejectTheWrongClassAndCorruptData() throws Exception {
        String path = dir.resolve("model").toString();
        model.save(path);
        Exception wrongClass = assertThrows(IllegalArgumentException.class, () -> DL4JRegressionModel.load(path));
        assertTrue(wrongClass.getMessage().contains(DL4JClassificationModel.class.getName()), wrongClass.getMessage());

        Path params = dir.resolve("model/data/params.bin");
        byte[] bytes = Files.readAllBytes(params);
        bytes[bytes.length - 1] ^= 0x5A;
        Files.write(params, bytes);
        // The local file system's own .crc catches it first; object stores have none, and our CRC32C does.
        Exception corrupt = assertThrows(IllegalArgumentException.class, () -> DL4JClassificationModel.load(path));
        assertTrue(corrupt.getMessage().contains("is corrupt"), corrupt.getMessage());
        Files.delete(dir.resolve("model/data/.params.bin.crc"));
        Exception ours = assertThrows(IllegalArgumentException.class, () -> DL4JClassificationModel.load(path));
        assertTrue(ours.getMessage().contains("params.bin is corrupt"), ours.getMessage());

        model.write().overwrite().save(path);
        Path info = dir.resolve("model/data/model.json");
        Files.writeString(info, Files.readString(info).replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
        Files.delete(dir.resolve("model/data/.model.json.crc"));
        Exception version = assertThrows(IllegalArgumentException.class, () -> DL4JClassificationModel.load(path));
        assertTrue(version.getMessage().contains("format version 99"), version.getMessage());
    }
}
