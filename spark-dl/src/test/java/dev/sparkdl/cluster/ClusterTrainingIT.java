package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
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
 * Training on a real standalone cluster: the driver is this JVM, the two ranks run in two executor
 * JVMs launched by the Worker JVMs, and spark-dl reaches the executors only through the assembly jar.
 */
class ClusterTrainingIT {
    private static final int EPOCHS = 4;

    @RegisterExtension
    static final ClusterExtension CLUSTER = new ClusterExtension(2);

    private static ClusterFixture fixture;

    @BeforeAll
    static void open() throws Exception {
        fixture = ClusterFixture.open(CLUSTER, 11);
    }

    @AfterAll
    static void release() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"allreduce", "parameter-server"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void twoRanksInTwoExecutorJvms(String mode) throws Exception {
        int before = fixture.barrierTasks.size();
        DL4JClassifier classifier = new DL4JClassifier()
                .setNetwork(TestData.mlp(ClusterFixture.WIDTH, 16, ClusterFixture.CLASSES, 5))
                .setEpochs(EPOCHS)
                .setBatchSize(32)
                .setNumWorkers(2)
                .setTrainingMode(mode);
        if (mode.equals("parameter-server")) {
            classifier.setStaleness(2);
        }
        long start = System.nanoTime();
        DL4JClassificationModel model = classifier.fit(fixture.train);
        double seconds = (System.nanoTime() - start) / 1e9;

        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(fixture.test));
        System.err.printf("[ClusterTrainingIT] %s: fit %.1f s, test accuracy %.4f%n", mode, seconds, accuracy);
        assertTrue(accuracy >= 0.95, mode + ": test accuracy " + accuracy);
        assertEquals(EPOCHS, model.trainingHistory().size(), mode + ": one history record per epoch");

        // Where the ranks ran: the successful tasks of this fit's barrier stage, by rank.
        List<BarrierTasks.Task> tasks = fixture.barrierTasks.await(before,
                ts -> ts.stream().filter(BarrierTasks.Task::successful).count() >= 2, Duration.ofSeconds(20));
        Map<Integer, BarrierTasks.Task> byRank = tasks.stream().filter(BarrierTasks.Task::successful)
                .collect(Collectors.toMap(BarrierTasks.Task::rank, Function.identity(), (a, b) -> b));
        assertEquals(Set.of(0, 1), byRank.keySet(), mode + ": successful barrier tasks " + tasks);
        String executor0 = byRank.get(0).executorId();
        String executor1 = byRank.get(1).executorId();
        assertNotEquals(executor0, executor1, mode + ": both ranks ran in executor " + executor0);

        // ...and those executors are two different JVMs, children of the workers, not this JVM.
        String appId = fixture.spark.sparkContext().applicationId();
        Map<String, StandaloneCluster.ExecutorProcess> processes = CLUSTER.cluster().executors().stream()
                .filter(e -> e.appId().equals(appId))
                .collect(Collectors.toMap(StandaloneCluster.ExecutorProcess::executorId, Function.identity()));
        StandaloneCluster.ExecutorProcess jvm0 = processes.get(executor0);
        StandaloneCluster.ExecutorProcess jvm1 = processes.get(executor1);
        assertTrue(jvm0 != null && jvm1 != null, mode + ": no executor JVM for " + executor0 + "/" + executor1
                + " among " + processes);
        assertNotEquals(jvm0.pid(), jvm1.pid());
        assertNotEquals(ProcessHandle.current().pid(), jvm0.pid());
        assertNotEquals(ProcessHandle.current().pid(), jvm1.pid());
        System.err.printf("[ClusterTrainingIT] %s: rank 0 in executor %s (pid %d, %s), rank 1 in executor %s "
                + "(pid %d, %s)%n", mode, executor0, jvm0.pid(), jvm0.worker(), executor1, jvm1.pid(), jvm1.worker());
        fixture.assertClean(List.of());
    }
}
