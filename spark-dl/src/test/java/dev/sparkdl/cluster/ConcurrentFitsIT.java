package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sparkdl.TestData;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;

/**
 * Two fits at once in one SparkContext, from two driver threads, one per training mode, on four
 * one-core executors (so both barrier stages hold their ranks at the same time).
 * Each must finish as well as it would alone, with its own secret, progress port and job group.
 */
class ConcurrentFitsIT {
    private static final int WIDTH = 8;
    private static final int CLASSES = 4;

    @RegisterExtension
    static final ClusterExtension CLUSTER = new ClusterExtension(2);

    private static SparkSession spark;
    private static BarrierTasks barrierTasks;
    private static LogCapture log;
    private static Dataset<Row> train;
    private static Dataset<Row> test;

    @BeforeAll
    static void driver() throws Exception {
        spark = CLUSTER.session();
        log = LogCapture.barrierTrainer();
        barrierTasks = new BarrierTasks();
        spark.sparkContext().addSparkListener(barrierTasks);
        Dataset<Row>[] data = ClusterDriver.blobs(spark, 640, 320, WIDTH, CLASSES, 41);
        train = data[0].cache();
        test = data[1].cache();
        train.count();
        test.count();
    }

    @AfterAll
    static void release() {
        if (log != null) {
            log.close();
        }
        if (spark != null) {
            spark.sparkContext().removeSparkListener(barrierTasks);
            train.unpersist();
            test.unpersist();
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void twoFitsAtOnceOneAllreduceOneParameterServerBothFinishCorrectly() throws Exception {
        List<String> modes = List.of("allreduce", "parameter-server");
        CountDownLatch ready = new CountDownLatch(modes.size());
        ExecutorService threads = Executors.newFixedThreadPool(modes.size());
        List<Future<DL4JClassificationModel>> fits = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (String mode : modes) {
                fits.add(threads.submit(() -> {
                    DL4JClassifier classifier = new DL4JClassifier().setNetwork(TestData.mlp(WIDTH, 16, CLASSES, 5))
                            .setEpochs(4).setBatchSize(32).setNumWorkers(2).setTrainingMode(mode);
                    if (mode.equals("parameter-server")) {
                        classifier.setStaleness(1);
                    }
                    ready.countDown();
                    ready.await();
                    return classifier.fit(train);
                }));
            }
            for (int i = 0; i < modes.size(); i++) {
                DL4JClassificationModel model = fits.get(i).get(200, TimeUnit.SECONDS);
                double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                        .evaluate(model.transform(test));
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
        List<Matcher> attempts = log.matches(LogCapture.ATTEMPT);
        assertEquals(2, attempts.size(), "fit attempts logged: " + log.lines());
        assertEquals(Set.copyOf(modes), attempts.stream().map(m -> m.group(3)).collect(Collectors.toSet()));
        for (int group : new int[] {1, 6, 7}) {
            assertEquals(2, attempts.stream().map(m -> m.group(group)).distinct().count(),
                    "two fits shared " + attempts.get(0).group(group) + ": " + log.lines());
        }
        // The two barrier stages, one per fit, ran at the same time.
        List<BarrierTasks.Stage> stages = barrierTasks.fitStages();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // the listener bus is asynchronous
        while (stages.stream().anyMatch(s -> s.completed() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            stages = barrierTasks.fitStages();
        }
        assertEquals(2, stages.size(), "barrier stages: " + stages);
        assertEquals(attempts.stream().map(m -> m.group(1)).collect(Collectors.toSet()),
                stages.stream().map(BarrierTasks.Stage::jobGroup).collect(Collectors.toSet()));
        BarrierTasks.Stage first = stages.get(0);
        BarrierTasks.Stage second = stages.get(1);
        assertTrue(second.submitted() < first.completed() && first.submitted() < second.completed(),
                "the fits did not overlap: " + stages);

        ClusterHygiene.assertClean(spark, CLUSTER.cluster(), ClusterExtension.EXECUTORS, List.of(), log.progressPorts());
    }
}
