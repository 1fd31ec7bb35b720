package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import dev.sparkdl.TestData;
import dev.sparkdl.arrow.Allocators;
import dev.sparkdl.ml.DL4JClassifier;

/** A fit, successful or failed, leaves no spill file, Arrow memory or Aeron directory behind. */
@Timeout(180)
class ResourceHygieneTest {

    private static long spillFiles() throws Exception {
        try (Stream<Path> files = Files.list(LocalDirs.forSpills())) {
            return files.count();
        }
    }

    private static void assertClean() throws Exception {
        // No waiting: a failed fit returns only once its interrupted ranks have ended and cleaned up.
        Path aeronDir = Path.of("/dev/shm/spark-dl-aeron-" + ProcessHandle.current().pid());
        assertEquals(0, spillFiles(), "spill files left in " + LocalDirs.forSpills());
        assertEquals(0, Allocators.processRoot().getAllocatedMemory(), "Arrow memory still allocated");
        assertFalse(Files.exists(aeronDir),
                "the media driver's directory was left behind");
    }

    @Test
    void shouldCleanUpAfterATwoWorkerFit() throws Exception {
        new DL4JClassifier().setNetwork(TestData.mlp(3, 4, 2, 1)).setEpochs(2).setBatchSize(8).setNumWorkers(2)
                .fit(TestData.blobs(50, 3, 2, 1));
        assertClean();
    }

    @Test
    void shouldCleanUpAfterAFitThatFailsInTheBarrierStage() throws Exception {
        // Class weights of the wrong length pass config validation but make backprop throw on every rank.
        var network = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).build())
                .layer(new OutputLayer.Builder(new LossMCXENT(Nd4j.create(new double[] {1, 1, 1})))
                        .nIn(4).nOut(2).activation(Activation.SOFTMAX).build())
                .build();
        var classifier = new DL4JClassifier().setNetwork(network).setEpochs(1).setNumWorkers(2);
        Exception e = assertThrows(Exception.class, () -> classifier.fit(TestData.blobs(40, 3, 2, 2)));
        assertTrue(String.valueOf(e.getMessage()).contains("barrier"), e.getMessage());
        assertClean();
    }
}
