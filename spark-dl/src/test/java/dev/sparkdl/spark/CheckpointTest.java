package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.TestData;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.train.Checkpoint;
import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.TrainedNetwork;

@Timeout(300)
class CheckpointTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearFault() {
        TrainingTask.stepFault = null;
    }

    private static Checkpoint checkpoint(long step) {
        return new Checkpoint("{\"confs\":[]}", 1, 0, step, (int) step,
                List.of(new EpochRecord(1, step, 0.5, 100, 1.0, 0.1)), new byte[] {1, 2, 3, (byte) step}, new byte[] {4});
    }

    private long files(String suffix) throws Exception {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
        }
    }

    @Test
    void shouldRoundTripAndRejectDamagedCheckpoints() {
        Checkpoint original = checkpoint(7);
        byte[] bytes = original.encode();
        assertEquals(original, Checkpoint.decode(bytes, "test"));
        byte[] flipped = bytes.clone();
        flipped[flipped.length / 2] ^= 1;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.decode(flipped, "x"))
                .getMessage().contains("CRC32C"));
        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 20);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.decode(truncated, "x"));
    }

    @Test
    void shouldKeepTheNewestAndFallBackPastADamagedOne() throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toString(), 2, new Configuration());
        for (long step = 1; step <= 3; step++) {
            store.write(checkpoint(step));
        }
        assertEquals(2, files(".sdl"));
        assertEquals(0, files(".tmp"));
        assertEquals(3, store.latest("{\"confs\":[]}").globalStep());

        // A write killed before its rename leaves only a temporary file: readers never see it.
        Files.write(dir.resolve(".ckpt-000000000009.sdl.tmp"), new byte[] {1, 2});
        // A checkpoint damaged after the rename fails its checksum: the previous one is used.
        Path newest = dir.resolve(CheckpointStore.name(3));
        byte[] bytes = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Files.deleteIfExists(dir.resolve("." + newest.getFileName() + ".crc"));
        assertEquals(2, store.latest("{\"confs\":[]}").globalStep());

        var other = assertThrows(IllegalArgumentException.class, () -> store.latest("{\"vertices\":{}}"));
        assertTrue(other.getMessage().contains("different network"), other.getMessage());
        assertNull(new CheckpointStore(dir.resolve("empty").toString(), 2, new Configuration()).latest("x"));
    }

    private static DL4JClassifier classifier(int epochs, String checkpointDir) {
        DL4JClassifier classifier = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 5)).setEpochs(epochs)
                .setBatchSize(16).setNumWorkers(2).setSeed(3);
        return checkpointDir == null ? classifier : classifier.setCheckpointDir(checkpointDir);
    }

    private static INDArray params(DL4JClassificationModel model) {
        return ((MultiLayerNetwork) model.network()).params();
    }

    @Test
    void shouldResumeANewFitExactlyWhereTheLastCheckpointStood() {
        Dataset<Row> data = TestData.blobs(200, 4, 3, 17).cache();
        DL4JClassificationModel straight = classifier(4, null).fit(data);
        String checkpoints = dir.resolve("resume").toString();
        classifier(2, checkpoints).fit(data);
        DL4JClassificationModel resumed = classifier(4, checkpoints).fit(data);
        assertEquals(4, resumed.trainingHistory().size());
        double diff = params(straight).sub(params(resumed)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-6, "resumed fit differs from an uninterrupted one by " + diff);
    }

    @Test
    void shouldResumeAParameterServerFitWithTheShardOwnersOptimizerState() throws Exception {
        Dataset<Row> data = TestData.blobs(200, 4, 3, 19).cache();
        DL4JClassificationModel straight = classifier(4, null).setTrainingMode("parameter-server").setStaleness(0)
                .fit(data);
        String checkpoints = dir.resolve("ps").toString();
        classifier(2, checkpoints).setTrainingMode("parameter-server").setStaleness(0).fit(data);
        Path newest;
        try (Stream<Path> list = Files.list(Path.of(checkpoints))) {
            newest = list.filter(p -> p.toString().endsWith(".sdl")).max(Path::compareTo).orElseThrow();
        }
        Checkpoint saved = Checkpoint.decode(Files.readAllBytes(newest), newest.toString());
        assertEquals(2, saved.epochsDone());
        // Adam's moments, gathered from both shard owners: present and not the zeros of a fresh updater.
        assertTrue(saved.updaterState() != null && TrainedNetwork.fromBytes(saved.updaterState()).amaxNumber()
                .doubleValue() > 0, "the checkpoint holds no updater state");
        DL4JClassificationModel resumed = classifier(4, checkpoints).setTrainingMode("parameter-server")
                .setStaleness(0).fit(data);
        assertEquals(4, resumed.trainingHistory().size());
        double diff = params(straight).sub(params(resumed)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-6, "resumed parameter-server fit differs from an uninterrupted one by " + diff);
    }

    @Test
    void shouldRetryAFailedBarrierStageFromTheLatestCheckpoint() {
        Dataset<Row> data = TestData.blobs(200, 4, 3, 18).cache();
        DL4JClassificationModel straight = classifier(3, null).fit(data);
        AtomicInteger faults = new AtomicInteger();
        AtomicInteger stepsAfterFault = new AtomicInteger();
        TrainingTask.stepFault = (epoch, step) -> {
            if (faults.get() > 0) {
                stepsAfterFault.incrementAndGet();
            } else if (epoch == 2 && step == 5) {
                faults.incrementAndGet();
                throw new UncheckedIOException(new java.io.IOException("injected: executor lost"));
            }
        };
        DL4JClassificationModel retried = classifier(3, dir.resolve("retry").toString()).fit(data);
        assertEquals(3, retried.trainingHistory().size());
        long stepsPerEpoch = retried.trainingHistory().get(2).step() / 3;
        // The retry resumed after epoch 1's checkpoint: it ran epochs 2 and 3 only.
        assertEquals(2 * stepsPerEpoch, stepsAfterFault.get());
        double diff = params(straight).sub(params(retried)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-6, "retried fit differs from an uninterrupted one by " + diff);
    }

    @Test
    void shouldSayHowManyAttemptsFailedAndWhy() {
        TrainingTask.stepFault = (epoch, step) -> {
            throw new UncheckedIOException(new java.io.IOException("injected: disk on fire"));
        };
        Exception e = assertThrows(IllegalStateException.class, () -> classifier(2, dir.resolve("fail").toString())
                .setMaxAttempts(2).fit(TestData.blobs(60, 4, 3, 1)));
        assertTrue(e.getMessage().startsWith("spark-dl fit failed after 2 attempts"), e.getMessage());
        // Each attempt is explained by the rank that failed and why, not by a peer's "rank 0 is gone".
        for (String attempt : e.getMessage().split("; attempt ")) {
            assertTrue(attempt.contains("rank 0 failed") && attempt.contains("UncheckedIOException"), attempt);
        }
        assertTrue(e.getMessage().contains("disk on fire"), e.getMessage());
    }
}
