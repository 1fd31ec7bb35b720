package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sparkdl.TestData;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.spark.BarrierTrainer;

/**
 * Two fits at once in one SparkContext, from two driver threads, one per training mode, on four
 * one-core executors (so both barrier stages hold their ranks at the same time).
 * Each must finish as well as it would alone, with its own secret, progress port and job group.
 */
class ConcurrentFitsIT {

    @RegisterExtension
    static final ClusterExtension CLUSTER = new ClusterExtension(2);

    private static ClusterFixture fixture;

    @BeforeAll
    static void open() throws Exception {
        fixture = ClusterFixture.open(CLUSTER, 41);
        fixture.train.count();
        fixture.test.count();
    }

    @AfterAll
    static void release() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void twoFitsAtOnceOneAllreduceOneParameterServerBothFinishCorrectly() throws Exception {
        List<String> modes = List.of("allreduce", "parameter-server");
        // Each fit's rank 0 pauses in the write of checkpoint 10 until both are there: both barrier
        // stages then hold their ranks at the same time, however long each took to start.
        List<Path> checkpoints = new ArrayList<>();
        for (String mode : modes) {
            Path dir = CLUSTER.cluster().scratch("concurrent-" + mode);
            Files.writeString(dir.resolve(FaultyFileSystem.CONTROL), "pause 10");
            checkpoints.add(dir);
        }
        ExecutorService threads = Executors.newFixedThreadPool(modes.size());
        List<Future<DL4JClassificationModel>> fits = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < modes.size(); i++) {
                String mode = modes.get(i);
                String checkpointDir = FaultyFileSystem.SCHEME + "://" + checkpoints.get(i);
                fits.add(threads.submit(() -> {
                    // The first fit to pause waits for the other to start: give its peers the time.
                    fixture.spark.sparkContext().setLocalProperty(BarrierTrainer.EXCHANGE_TIMEOUT_CONF, "300s");
                    DL4JClassifier classifier = new DL4JClassifier()
                            .setNetwork(TestData.mlp(ClusterFixture.WIDTH, 16, ClusterFixture.CLASSES, 5))
                            .setEpochs(4).setBatchSize(32).setNumWorkers(2).setTrainingMode(mode)
                            .setCheckpointDir(checkpointDir).setCheckpointInterval(5);
                    if (mode.equals("parameter-server")) {
                        classifier.setStaleness(1);
                    }
                    return classifier.fit(fixture.train);
                }));
            }
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
                while (!checkpoints.stream().allMatch(FaultyFileSystem::held) && System.nanoTime() < deadline
                        && fits.stream().noneMatch(Future::isDone)) {
                    Thread.sleep(20);
                }
                assertTrue(checkpoints.stream().allMatch(FaultyFileSystem::held), "the fits were never both "
                        + "in their barrier stage: paused " + checkpoints.stream().map(FaultyFileSystem::held).toList());
            } finally {
                for (Path dir : checkpoints) {
                    Files.writeString(dir.resolve(FaultyFileSystem.RELEASE), "go");
                }
            }
            for (int i = 0; i < modes.size(); i++) {
                DL4JClassificationModel model = fits.get(i).get(200, TimeUnit.SECONDS);
                double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                        .evaluate(model.transform(fixture.test));
                System.err.printf("[ConcurrentFitsIT] %s: accuracy %.4f%n", modes.get(i), accuracy);
                assertTrue(accuracy >= 0.95, modes.get(i) + ": accuracy " + accuracy);
                assertEquals(4, model.trainingHistory().size(), modes.get(i));
            }
        } finally {
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS), "a fit thread did not end");
        }
        System.err.printf("[ConcurrentFitsIT] both fits done in %.1f s%n", (System.nanoTime() - start) / 1e9);

        // One attempt per fit, each with its own fit id (job group), progress port and secret.
        List<Matcher> attempts = fixture.log.matches(LogCapture.ATTEMPT);
        assertEquals(2, attempts.size(), "fit attempts logged: " + fixture.log.lines());
        assertEquals(Set.copyOf(modes), attempts.stream().map(m -> m.group(3)).collect(Collectors.toSet()));
        for (int group : new int[] {1, 6, 7}) {
            assertEquals(2, attempts.stream().map(m -> m.group(group)).distinct().count(),
                    "two fits shared " + attempts.get(0).group(group) + ": " + fixture.log.lines());
        }
        // The two barrier stages, one per fit, ran at the same time.
        List<BarrierTasks.Stage> stages = fixture.barrierTasks.fitStages();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // the listener bus is asynchronous
        while (stages.stream().anyMatch(s -> s.completed() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            stages = fixture.barrierTasks.fitStages();
        }
        assertEquals(2, stages.size(), "barrier stages: " + stages);
        assertEquals(attempts.stream().map(m -> m.group(1)).collect(Collectors.toSet()),
                stages.stream().map(BarrierTasks.Stage::jobGroup).collect(Collectors.toSet()));
        BarrierTasks.Stage first = stages.get(0);
        BarrierTasks.Stage second = stages.get(1);
        assertTrue(second.submitted() < first.completed() && first.submitted() < second.completed(),
                "the fits did not overlap: " + stages);

        fixture.assertClean(List.of());
    }
}
