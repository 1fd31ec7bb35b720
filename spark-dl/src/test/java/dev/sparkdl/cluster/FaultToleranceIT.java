package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sparkdl.TestData;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;

/**
 * SIGKILL of an executor JVM in the middle of an epoch: the fit's barrier stage fails, the Master
 * launches a replacement executor, and spark-dl retries the stage from the latest checkpoint. The
 * result must match an undisturbed run (within one point of test accuracy), and nothing may hang.
 */
class FaultToleranceIT {
    private static final int WIDTH = 8;
    private static final int CLASSES = 4;
    private static final int TRAIN_ROWS = 640;
    private static final int BATCH = 32;
    private static final int EPOCHS = 6;
    private static final int STEPS_PER_EPOCH = TRAIN_ROWS / BATCH;
    private static final int CHECKPOINT_INTERVAL = 5;
    /** Kill once a checkpoint at least this far in exists: mid-way through the third epoch. */
    private static final long KILL_AFTER_STEP = 2L * STEPS_PER_EPOCH + CHECKPOINT_INTERVAL;
    private static final Pattern CHECKPOINT = Pattern.compile("ckpt-(\\d{12})\\.sdl");

    @RegisterExtension
    static final ClusterExtension CLUSTER = new ClusterExtension(2);

    private static SparkSession spark;
    private static BarrierTasks barrierTasks;
    private static Dataset<Row> train;
    private static Dataset<Row> test;

    @BeforeAll
    static void driver() throws Exception {
        spark = ClusterDriver.session(CLUSTER.cluster(), "FaultToleranceIT", 2);
        barrierTasks = new BarrierTasks();
        spark.sparkContext().addSparkListener(barrierTasks);
        Dataset<Row>[] data = ClusterDriver.blobs(spark, TRAIN_ROWS, 320, WIDTH, CLASSES, 31);
        train = data[0].cache();
        test = data[1].cache();
    }

    @AfterAll
    static void stopDriver() {
        ClusterDriver.stop(spark);
    }

    private static DL4JClassifier classifier(String mode, Path checkpoints) {
        DL4JClassifier classifier = new DL4JClassifier()
                .setNetwork(TestData.mlp(WIDTH, 16, CLASSES, 5))
                .setEpochs(EPOCHS)
                .setBatchSize(BATCH)
                .setNumWorkers(2)
                .setTrainingMode(mode)
                .setCheckpointDir(checkpoints.toUri().toString())
                .setCheckpointInterval(CHECKPOINT_INTERVAL)
                .setKeepCheckpoints(2)
                .setMaxAttempts(3);
        if (mode.equals("parameter-server")) {
            classifier.setStaleness(0);
        }
        return classifier;
    }

    private static double accuracy(DL4JClassificationModel model) {
        return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(test));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"allreduce", "parameter-server"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void killedExecutorResumesFromTheLatestCheckpoint(String mode) throws Exception {
        StandaloneCluster cluster = CLUSTER.cluster();
        String appId = spark.sparkContext().applicationId();

        long start = System.nanoTime();
        double undisturbed = accuracy(classifier(mode, cluster.scratch(mode + "-undisturbed")).fit(train));
        double undisturbedSeconds = (System.nanoTime() - start) / 1e9;

        int before = barrierTasks.size();
        Path checkpoints = cluster.scratch(mode + "-killed");
        List<StandaloneCluster.ExecutorProcess> executors = cluster.executors().stream()
                .filter(e -> e.appId().equals(appId)).toList();
        assertEquals(2, executors.size(), "executor JVMs of " + appId + ": " + executors);
        StandaloneCluster.ExecutorProcess victim = executors.stream()
                .max(Comparator.comparing(e -> Integer.parseInt(e.executorId()))).orElseThrow();

        // The killer: waits for a checkpoint mid-way through the third epoch, then SIGKILLs the victim.
        CompletableFuture<Long> killedAtStep = CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (System.nanoTime() < deadline) {
                OptionalLong latest = latestCheckpoint(checkpoints);
                if (latest.isPresent() && latest.getAsLong() >= KILL_AFTER_STEP) {
                    victim.process().destroyForcibly(); // SIGKILL
                    return latest.getAsLong();
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1L;
                }
            }
            return -1L;
        });
        start = System.nanoTime();
        DL4JClassificationModel model;
        try {
            model = classifier(mode, checkpoints).fit(train);
        } finally {
            killedAtStep.cancel(true);
            removeStaleAeronDir(victim);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long step = killedAtStep.isCancelled() ? -1 : killedAtStep.getNow(-1L);
        double faulted = accuracy(model);
        System.err.printf("[FaultToleranceIT] %s: undisturbed %.4f in %.1f s; executor %s (pid %d) SIGKILLed after "
                        + "checkpoint step %d; fit completed in %.1f s with accuracy %.4f%n", mode, undisturbed,
                undisturbedSeconds, victim.executorId(), victim.pid(), step, seconds, faulted);

        assertTrue(step >= KILL_AFTER_STEP && step < (long) EPOCHS * STEPS_PER_EPOCH,
                mode + ": the executor was not killed mid-fit (checkpoint step " + step + ")");
        assertTrue(victim.process().onExit().get(10, TimeUnit.SECONDS) != null);
        assertFalse(victim.process().isAlive());
        // The kill really failed a barrier attempt, and a later attempt succeeded.
        List<BarrierTasks.Task> tasks = barrierTasks.await(before,
                ts -> ts.stream().filter(BarrierTasks.Task::successful).count() >= 2, Duration.ofSeconds(20));
        assertTrue(tasks.stream().anyMatch(t -> !t.successful()), mode + ": no barrier task failed: " + tasks);
        assertTrue(tasks.stream().filter(BarrierTasks.Task::successful).count() >= 2,
                mode + ": no barrier attempt succeeded: " + tasks);
        assertEquals(EPOCHS, model.trainingHistory().size(), mode + ": history " + model.trainingHistory());
        assertTrue(undisturbed >= 0.95, mode + ": undisturbed accuracy " + undisturbed);
        assertEquals(undisturbed, faulted, 0.01, mode + ": accuracy after the kill vs undisturbed");

        // The Master replaced the lost executor; the next test needs both slots again.
        ClusterDriver.awaitExecutors(spark, 2);
    }

    /**
     * A SIGKILLed executor cannot remove its Aeron directory (/dev/shm/spark-dl-aeron-PID); this
     * harness removes the one of the JVM it killed, and says so: spark-dl does not reap it (yet).
     */
    private static void removeStaleAeronDir(StandaloneCluster.ExecutorProcess victim) {
        try {
            victim.process().onExit().get(10, TimeUnit.SECONDS);
            Path stale = Path.of("/dev/shm", "spark-dl-aeron-" + victim.pid());
            if (Files.exists(stale)) {
                System.err.println("[FaultToleranceIT] the killed executor left " + stale + "; removing it");
                SparkHome.deleteTree(stale);
            }
        } catch (Exception e) {
            System.err.println("[FaultToleranceIT] could not check the killed executor's Aeron directory: " + e);
        }
    }

    private static OptionalLong latestCheckpoint(Path dir) {
        if (!Files.isDirectory(dir)) {
            return OptionalLong.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> CHECKPOINT.matcher(p.getFileName().toString()))
                    .filter(Matcher::matches).mapToLong(m -> Long.parseLong(m.group(1))).max();
        } catch (IOException e) {
            return OptionalLong.empty(); // a file renamed or pruned while listing: look again
        }
    }
}
