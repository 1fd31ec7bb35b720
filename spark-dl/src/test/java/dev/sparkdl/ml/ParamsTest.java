package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.junit.jupiter.api.Test;

import dev.sparkdl.TestData;

class ParamsTest {

    @Test
    void shouldHaveDocumentedDefaults() {
        DL4JClassifier classifier = new DL4JClassifier();
        assertEquals("features", classifier.getFeaturesCol());
        assertEquals("label", classifier.getLabelCol());
        assertEquals("prediction", classifier.getPredictionCol());
        assertEquals("probability", classifier.getProbabilityCol());
        assertEquals("rawPrediction", classifier.getRawPredictionCol());
        assertEquals(10, classifier.getEpochs());
        assertEquals(128, classifier.getBatchSize());
        assertEquals(0, classifier.getNumWorkers());
        assertEquals("allreduce", classifier.getTrainingMode());
        assertTrue(classifier.getShuffle());
        assertFalse(classifier.isDefined(classifier.network()));
        assertTrue(classifier.uid().startsWith("dl4jClassifier_"));
        assertTrue(new DL4JRegressor().uid().startsWith("dl4jRegressor_"));
    }

    @Test
    void shouldExposeEveryParamToSparkReflection() {
        Set<String> names = Arrays.stream(new DL4JClassifier().params()).map(Param::name).collect(Collectors.toSet());
        assertEquals(Set.of("featuresCol", "labelCol", "predictionCol", "probabilityCol", "rawPredictionCol",
                "network", "epochs", "batchSize", "numWorkers", "trainingMode", "seed", "shuffle", "nativeThreads",
                "validationFraction", "validationCol", "earlyStoppingPatience", "staleness", "compression",
                "compressionThreshold", "compressionTopK", "checkpointDir", "checkpointInterval", "keepCheckpoints",
                "maxAttempts", "sequenceLength", "maxSequenceLength", "featuresCols"),
                names);
        Set<String> regressor = Arrays.stream(new DL4JRegressor().params()).map(Param::name).collect(Collectors.toSet());
        assertFalse(regressor.contains("probabilityCol"));
        assertTrue(regressor.contains("network"));
    }

    @Test
    void shouldChainSettersAndReadThemBack() {
        DL4JClassifier classifier = new DL4JClassifier()
                .setFeaturesCol("x").setLabelCol("y").setEpochs(3).setBatchSize(64).setNumWorkers(2)
                .setTrainingMode("parameter-server").setSeed(9).setShuffle(false)
                .setNetwork(TestData.mlp(4, 8, 2, 1));
        assertEquals("x", classifier.getFeaturesCol());
        assertEquals("y", classifier.getLabelCol());
        assertEquals(3, classifier.getEpochs());
        assertEquals(64, classifier.getBatchSize());
        assertEquals(2, classifier.getNumWorkers());
        assertEquals("parameter-server", classifier.getTrainingMode());
        assertEquals(9L, classifier.getSeed());
        assertFalse(classifier.getShuffle());
        assertTrue(classifier.getNetwork().contains("\"confs\""));
    }

    @Test
    void shouldRejectBadValuesNamingParamAndValue() {
        DL4JClassifier classifier = new DL4JClassifier();
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setEpochs(0)), "epochs", "0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setBatchSize(-5)), "batchSize", "-5");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setNumWorkers(-1)), "numWorkers", "-1");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setTrainingMode("gossip")),
                "trainingMode", "gossip");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setCompression("zip")),
                "compression", "zip");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setStaleness(-1)), "staleness", "-1");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setCompressionThreshold(0)),
                "compressionThreshold", "0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setFeaturesCol(" ")),
                "featuresCol", " ");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.setNetworkJson("{\"not\": 1}")),
                "network", "not a valid");
    }

    @Test
    void shouldCopyWithExtraParamsLeavingTheOriginal() {
        DL4JClassifier original = new DL4JClassifier().setEpochs(3).setNetwork(TestData.mlp(4, 8, 2, 1));
        DL4JClassifier copy = original.copy(new ParamMap().put(original.epochs().w(7)).put(original.batchSize().w(16)));
        assertNotSame(original, copy);
        assertEquals(original.uid(), copy.uid());
        assertEquals(7, copy.getEpochs());
        assertEquals(16, copy.getBatchSize());
        assertEquals(3, original.getEpochs());
        assertEquals(original.getNetwork(), copy.getNetwork());
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should name " + part);
        }
    }

    @Test
    void shouldValidateTheSequenceAndFeaturesColsParams() {
        assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier().setSequenceLength(-1));
        assertThrows(IllegalArgumentException.class, () -> new DL4JRegressor().setMaxSequenceLength(-2));
        assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier().setFeaturesCols("a", " "));
        assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier().setFeaturesCols("a", "a"));
        DL4JClassifier classifier = new DL4JClassifier().setSequenceLength(28).setMaxSequenceLength(5)
                .setFeaturesCols("a", "b");
        assertEquals(28, classifier.getSequenceLength());
        assertEquals(5, classifier.getMaxSequenceLength());
        assertEquals(java.util.List.of("a", "b"), classifier.inputColumns());
        assertEquals(java.util.List.of("features"), new DL4JClassifier().inputColumns());
    }
}
