package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sparkdl.TestData;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.spark.BarrierTrainer;
import dev.sparkdl.train.Checkpoint;

/**
 * Faults on the real cluster, each checked for its outcome, for a bound on how long it took, and for
 * what it left behind ({@link ClusterHygiene} after every fit): SIGKILL of an executor JVM in the
 * middle of an epoch and in the middle of a checkpoint write (the fit's barrier stage fails, the
 * Master launches a replacement executor, spark-dl retries from the latest complete checkpoint), a
 * rank that stalls (its peers give up after the exchange timeout, Spark interrupts it, the fit
 * retries) and a rank that throws every time (the fit fails, every attempt explained). Faults in
 * checkpoint writes come from {@link FaultyFileSystem}.
 */
class FaultToleranceIT {
    private static final int TRAIN_ROWS = 640;
    private static final int BATCH = 32;
    private static final int EPOCHS = 4;
    private static final int STEPS_PER_EPOCH = TRAIN_ROWS / BATCH;
    private static final int CHECKPOINT_INTERVAL = 5;
    /** Kill once a checkpoint at least this far in exists: mid-way through the second epoch. */
    private static final long KILL_AFTER_STEP = STEPS_PER_EPOCH + CHECKPOINT_INTERVAL;
    private static final Pattern CHECKPOINT = Pattern.compile("ckpt-(\\d{12})\\.sdl");
    /** spark.sparkdl.exchangeTimeout of this application: how long a stalled rank may hold up its peers. */
    private static final long EXCHANGE_TIMEOUT_MS = 20_000;
    /** Slack on top of the exchange timeout for Spark to fail the stage on a loaded machine. */
    private static final long DETECTION_SLACK_MS = 30_000;

    @RegisterExtension
    static final ClusterExtension CLUSTER = new ClusterExtension(2);

    private static ClusterFixture fixture;

    @BeforeAll
    static void open() throws Exception {
        fixture = ClusterFixture.open(CLUSTER, 31);
    }

    @AfterAll
    static void release() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** The calling (test) thread's fits give up on a silent peer after EXCHANGE_TIMEOUT_MS. */
    private static void tightExchangeTimeout() {
        fixture.spark.sparkContext().setLocalProperty(BarrierTrainer.EXCHANGE_TIMEOUT_CONF, EXCHANGE_TIMEOUT_MS + "ms");
    }

    private static DL4JClassifier classifier(String mode, Path checkpoints) {
        return classifier(mode, checkpoints.toUri().toString());
    }

    /** A checkpoint directory on {@link FaultyFileSystem}: {@code fault} cues a fault in a write. */
    private static String faulty(Path dir, String cue) throws IOException {
        Files.writeString(dir.resolve(FaultyFileSystem.CONTROL), cue);
        return FaultyFileSystem.SCHEME + "://" + dir;
    }

    private static void assertClean(List<Long> killed) throws InterruptedException {
        fixture.assertClean(killed);
    }

    private static DL4JClassifier classifier(String mode, String checkpoints) {
        DL4JClassifier classifier = new DL4JClassifier()
                .setNetwork(TestData.mlp(ClusterFixture.WIDTH, 16, ClusterFixture.CLASSES, 5))
                .setEpochs(EPOCHS)
                .setBatchSize(BATCH)
                .setNumWorkers(2)
                .setTrainingMode(mode)
                .setCheckpointDir(checkpoints)
                .setCheckpointInterval(CHECKPOINT_INTERVAL)
                .setKeepCheckpoints(2)
                .setMaxAttempts(3);
        if (mode.equals("parameter-server")) {
            classifier.setStaleness(0);
        }
        return classifier;
    }

    private static double accuracy(DL4JClassificationModel model) {
        return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(fixture.test));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"allreduce", "parameter-server"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void killedExecutorResumesFromTheLatestCheckpoint(String mode) throws Exception {
        tightExchangeTimeout();
        StandaloneCluster cluster = CLUSTER.cluster();
        String appId = fixture.spark.sparkContext().applicationId();

        long start = System.nanoTime();
        double undisturbed = accuracy(classifier(mode, cluster.scratch(mode + "-undisturbed")).fit(fixture.train));
        double undisturbedSeconds = (System.nanoTime() - start) / 1e9;
        assertClean(List.of());

        int before = fixture.barrierTasks.size();
        Path checkpoints = cluster.scratch(mode + "-killed");
        String checkpointDir = FaultyFileSystem.SCHEME + "://" + checkpoints; // no cue: it only records writers

        // The killer: waits for a checkpoint mid-way through the second epoch, then SIGKILLs the JVM that
        // wrote it (rank 0's executor).
        CompletableFuture<StandaloneCluster.ExecutorProcess> killed = CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
            try {
                while (System.nanoTime() < deadline) {
                    OptionalLong latest = latestCheckpoint(checkpoints);
                    if (latest.isPresent() && latest.getAsLong() >= KILL_AFTER_STEP) {
                        List<long[]> writes = writes(checkpoints);
                        long pid = writes.get(writes.size() - 1)[0];
                        StandaloneCluster.ExecutorProcess victim = cluster.executors().stream()
                                .filter(e -> e.appId().equals(appId) && e.pid() == pid).findFirst().orElseThrow();
                        victim.process().destroyForcibly(); // SIGKILL
                        return victim;
                    }
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return null;
        });
        start = System.nanoTime();
        DL4JClassificationModel model;
        try {
            model = classifier(mode, checkpointDir).fit(fixture.train);
        } finally {
            killed.cancel(true);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        StandaloneCluster.ExecutorProcess victim = killed.isCancelled() ? null : killed.getNow(null);
        assertNotNull(victim, mode + ": the executor was not killed mid-fit");
        long step = writes(checkpoints).stream().filter(w -> w[0] == victim.pid()).mapToLong(w -> w[1]).max()
                .orElse(-1);
        double faulted = accuracy(model);
        System.err.printf("[FaultToleranceIT] %s: undisturbed %.4f in %.1f s; executor %s (pid %d) SIGKILLed after "
                        + "checkpoint step %d; fit completed in %.1f s with accuracy %.4f%n", mode, undisturbed,
                undisturbedSeconds, victim.executorId(), victim.pid(), step, seconds, faulted);

        assertTrue(step >= KILL_AFTER_STEP && step < (long) EPOCHS * STEPS_PER_EPOCH,
                mode + ": the executor was not killed mid-fit (checkpoint step " + step + ")");
        assertTrue(victim.process().onExit().get(10, TimeUnit.SECONDS) != null);
        assertFalse(victim.process().isAlive());
        // The kill really failed a barrier attempt, and a later attempt succeeded.
        List<BarrierTasks.Task> tasks = fixture.barrierTasks.await(before,
                ts -> ts.stream().filter(BarrierTasks.Task::successful).count() >= 2, Duration.ofSeconds(20));
        assertTrue(tasks.stream().anyMatch(t -> !t.successful()), mode + ": no barrier task failed: " + tasks);
        assertTrue(tasks.stream().filter(BarrierTasks.Task::successful).count() >= 2,
                mode + ": no barrier attempt succeeded: " + tasks);
        assertEquals(EPOCHS, model.trainingHistory().size(), mode + ": history " + model.trainingHistory());
        assertTrue(undisturbed >= 0.95, mode + ": undisturbed accuracy " + undisturbed);
        assertEquals(undisturbed, faulted, 0.01, mode + ": accuracy after the kill vs undisturbed");

        // The Master replaced the lost executor; the next test needs every slot again.
        ClusterDriver.awaitExecutors(fixture.spark, ClusterExtension.EXECUTORS);
        // The killed JVM could not remove its Aeron directory: the next driver launched swept it.
        assertClean(List.of(victim.pid()));
    }

    /** What the killer saw when it SIGKILLed the executor stalled in a checkpoint write. */
    private record WriteKill(long pid, byte[] partial, int fullLength, long newestComplete) {
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void killDuringACheckpointWriteResumesFromThePreviousCompleteCheckpoint() throws Exception {
        tightExchangeTimeout();
        StandaloneCluster cluster = CLUSTER.cluster();
        String appId = fixture.spark.sparkContext().applicationId();
        Path dir = cluster.scratch("kill-during-write");
        long stalledStep = STEPS_PER_EPOCH + 2L * CHECKPOINT_INTERVAL;
        long previousStep = stalledStep - CHECKPOINT_INTERVAL;
        String checkpoints = faulty(dir, "stall " + stalledStep);
        int logFrom = fixture.log.lines().size();

        // The killer: SIGKILLs the JVM whose write of checkpoint `stalledStep` stopped half-way.
        CompletableFuture<WriteKill> killer = CompletableFuture.supplyAsync(() -> {
            try {
                return killStalledWriter(dir, appId, stalledStep);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long start = System.nanoTime();
        DL4JClassificationModel model;
        try {
            model = classifier("allreduce", checkpoints).fit(fixture.train);
        } finally {
            killer.cancel(true);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        WriteKill kill = killer.isCancelled() ? null : killer.getNow(null);
        assertNotNull(kill, "no executor stalled in the write of checkpoint " + stalledStep);
        double accuracy = accuracy(model);
        System.err.printf("[FaultToleranceIT] kill during the write of checkpoint %d: pid %d killed with %d of %d "
                + "bytes written; fit completed in %.1f s with accuracy %.4f%n", stalledStep, kill.pid(),
                kill.partial().length, kill.fullLength(), seconds, accuracy);

        // On disk at the kill: half a checkpoint under its temporary name, which fails its check...
        assertEquals(kill.fullLength() / 2, kill.partial().length);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.decode(kill.partial(), "partial"));
        // ...and the previous checkpoint complete under its own name.
        assertEquals(previousStep, kill.newestComplete(), "newest complete checkpoint at the kill");
        // The retry resumed from that one: it says so, and its first write is the step after it.
        assertEquals(List.of(previousStep), resumedSteps(logFrom), "resumes logged by the driver");
        List<long[]> writes = writes(dir);
        int killedAt = lastIndexOf(writes, kill.pid());
        assertTrue(killedAt >= 0 && killedAt + 1 < writes.size(), "writes: " + describe(writes));
        assertEquals(stalledStep, writes.get(killedAt + 1)[1], "first write after the kill: " + describe(writes));
        assertEquals(EPOCHS, model.trainingHistory().size());
        assertTrue(accuracy >= 0.95, "accuracy " + accuracy);

        ClusterDriver.awaitExecutors(fixture.spark, ClusterExtension.EXECUTORS);
        assertClean(List.of(kill.pid()));
    }

    private static WriteKill killStalledWriter(Path dir, String appId, long step) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (System.nanoTime() < deadline) {
            Path marker;
            try (Stream<Path> files = Files.list(dir)) {
                marker = files.filter(p -> p.getFileName().toString().startsWith(FaultyFileSystem.STALLED))
                        .findFirst().orElse(null);
            }
            if (marker != null) {
                long pid = Long.parseLong(marker.getFileName().toString().substring(FaultyFileSystem.STALLED.length()));
                StandaloneCluster.ExecutorProcess victim = CLUSTER.cluster().executors().stream()
                        .filter(e -> e.appId().equals(appId) && e.pid() == pid).findFirst()
                        .orElseThrow(() -> new IllegalStateException("pid " + pid + " is no executor of " + appId));
                int fullLength = Integer.parseInt(Files.readString(marker).trim());
                byte[] partial = Files.readAllBytes(dir.resolve(String.format(".ckpt-%012d.sdl.tmp", step)));
                victim.process().destroyForcibly(); // SIGKILL
                victim.process().onExit().get(10, TimeUnit.SECONDS);
                return new WriteKill(pid, partial, fullLength, newestCompleteCheckpoint(dir));
            }
            Thread.sleep(20);
        }
        return null;
    }

    /** The step of the newest checkpoint file that decodes: the one a resume would load. */
    private static long newestCompleteCheckpoint(Path dir) throws IOException {
        List<Path> complete;
        try (Stream<Path> files = Files.list(dir)) {
            complete = files.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparing(Path::toString).reversed()).toList();
        }
        for (Path file : complete) {
            try {
                return Checkpoint.decode(Files.readAllBytes(file), file.toString()).globalStep();
            } catch (IllegalArgumentException damaged) {
                // a resume skips it too
            }
        }
        return -1;
    }

    /** The steps the driver logged resuming from since line {@code from} of the log. */
    private static List<Long> resumedSteps(int from) {
        List<String> lines = fixture.log.lines();
        return lines.subList(from, lines.size()).stream().map(LogCapture.RESUMED::matcher).filter(Matcher::find)
                .map(m -> Long.parseLong(m.group(1))).toList();
    }

    /** FaultyFileSystem's record of checkpoint writes begun: (pid, step) in order. */
    private static List<long[]> writes(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve(FaultyFileSystem.WRITES)).stream().map(String::trim)
                .filter(l -> !l.isEmpty()).map(l -> l.split(" "))
                .map(f -> new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])}).toList();
    }

    private static int lastIndexOf(List<long[]> writes, long pid) {
        for (int i = writes.size() - 1; i >= 0; i--) {
            if (writes.get(i)[0] == pid) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(List<long[]> writes) {
        return writes.stream().map(w -> w[1] + "@" + w[0]).toList().toString();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aStalledRankFailsItsAttemptWithinTheExchangeTimeoutAndTheFitRetries() throws Exception {
        tightExchangeTimeout();
        Path dir = CLUSTER.cluster().scratch("stall");
        long stalledStep = STEPS_PER_EPOCH + CHECKPOINT_INTERVAL;
        String checkpoints = faulty(dir, "stall " + stalledStep);
        int before = fixture.barrierTasks.size();
        int logFrom = fixture.log.lines().size();

        long start = System.nanoTime();
        DL4JClassificationModel model = classifier("allreduce", checkpoints).fit(fixture.train);
        double seconds = (System.nanoTime() - start) / 1e9;

        Path marker;
        try (Stream<Path> files = Files.list(dir)) {
            marker = files.filter(p -> p.getFileName().toString().startsWith(FaultyFileSystem.STALLED)).findFirst()
                    .orElse(null);
        }
        assertNotNull(marker, "no rank stalled in the write of checkpoint " + stalledStep);
        long stalledAt = Files.getLastModifiedTime(marker).toMillis();
        List<BarrierTasks.Task> tasks = fixture.barrierTasks.await(before,
                ts -> ts.stream().filter(BarrierTasks.Task::successful).count() >= 2, Duration.ofSeconds(20));
        BarrierTasks.Task firstFailure = tasks.stream().filter(t -> !t.successful())
                .min(Comparator.comparingLong(BarrierTasks.Task::finishTime)).orElse(null);
        assertNotNull(firstFailure, "the stall failed no barrier task: " + tasks);
        long detectedAfter = firstFailure.finishTime() - stalledAt;
        System.err.printf("[FaultToleranceIT] stall at checkpoint %d: first task failure %.1f s later (%s); fit "
                + "completed in %.1f s%n", stalledStep, detectedAfter / 1e3, firstFailure.reason(), seconds);
        assertTrue(firstFailure.reason().contains("TIMEOUT"), "the stall was not ended by a timeout: " + firstFailure);
        assertTrue(detectedAfter <= EXCHANGE_TIMEOUT_MS + DETECTION_SLACK_MS, "the stalled attempt failed "
                + detectedAfter + " ms after the stall; the exchange timeout is " + EXCHANGE_TIMEOUT_MS + " ms");
        assertEquals(List.of(stalledStep - CHECKPOINT_INTERVAL), resumedSteps(logFrom), "resumes logged by the driver");
        assertEquals(EPOCHS, model.trainingHistory().size());
        double accuracy = accuracy(model);
        assertTrue(accuracy >= 0.95, "accuracy " + accuracy);
        // The interrupted writer ended: no thread of any executor still runs spark-dl code.
        assertClean(List.of());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aRankThatThrowsEveryTimeFailsTheFitWithEveryAttemptExplained() throws Exception {
        tightExchangeTimeout();
        Path dir = CLUSTER.cluster().scratch("throw");
        long failingStep = CHECKPOINT_INTERVAL * 2L;
        String checkpoints = faulty(dir, "throw " + failingStep);

        long start = System.nanoTime();
        Exception e = assertThrows(Exception.class,
                () -> classifier("parameter-server", checkpoints).setMaxAttempts(2).fit(fixture.train));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.err.printf("[FaultToleranceIT] a rank that throws: the fit failed in %.1f s: %s%n", seconds,
                e.getMessage());
        assertTrue(e.getMessage().startsWith("spark-dl fit failed after 2 attempts"), e.getMessage());
        for (String attempt : e.getMessage().split("; attempt ")) {
            assertTrue(attempt.contains("rank 0 failed first") && attempt.contains("injected: no space left"),
                    attempt);
        }
        // Both attempts reached the failing write; the second resumed after the checkpoint before it.
        List<Long> steps = writes(dir).stream().map(w -> w[1]).toList();
        assertEquals(List.of(failingStep - CHECKPOINT_INTERVAL, failingStep, failingStep), steps);
        assertClean(List.of());
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
