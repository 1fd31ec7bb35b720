package dev.sparkdl.cluster;

import java.io.IOException;
import java.util.Map;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import dev.sparkdl.TestData;
import dev.sparkdl.ml.DL4JClassifier;

/**
 * Gives a test class the {@link StandaloneCluster}: one cluster per test run (JVM), shared by every
 * *IT class that registers this extension, started by the first and stopped when JUnit closes its
 * root store at the end of the run; and {@link #session()}, one Spark application on it, shared too.
 * When a test or a class callback fails, the cluster's logs so far are copied to
 * {@code target/cluster-logs/<class>}.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final ClusterExtension CLUSTER = new ClusterExtension(2);
 * </pre>
 */
public final class ClusterExtension implements BeforeAllCallback, AfterAllCallback, TestWatcher {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ClusterExtension.class);

    /**
     * The shared application's executors: four of one core (two on each worker), so two 2-rank fits can
     * run at once and every rank is alone in its executor JVM.
     */
    static final int EXECUTORS = 4;
    /** Per worker: two cores and 2 GiB for the shared application, one core and 1 GiB for another (spark-submit's). */
    static final int CORES_PER_WORKER = 3;

    private final int workers;
    private StandaloneCluster cluster;
    private Shared shared;
    private volatile boolean failed;

    public ClusterExtension(int workers) {
        this.workers = workers;
    }

    public StandaloneCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the cluster is not started (use @RegisterExtension on a static field)");
        }
        return cluster;
    }

    /**
     * The Spark application shared by the test classes of this run, with this JVM as its driver: one
     * application start (executor JVMs, ND4J loaded in each) instead of one per class. Each class
     * removes the listeners it added; the application stops with the cluster.
     */
    public SparkSession session() throws IOException, InterruptedException {
        synchronized (shared) {
            if (shared.session == null) {
                long start = System.nanoTime();
                shared.session = ClusterDriver.session(cluster(), "spark-dl ITs", EXECUTORS, 1, Map.of());
                ExecutorProbe.warmUp(shared.session, EXECUTORS);
                warmFit(shared.session);
                System.err.printf("[cluster] application %s with %d executors up and warm in %.1f s%n",
                        shared.session.sparkContext().applicationId(), EXECUTORS, (System.nanoTime() - start) / 1e9);
            }
            return shared.session;
        }
    }

    /**
     * One small fit with a rank in every executor: the first fit of an application pays for code paths
     * loaded and compiled once (Spark SQL, DL4J, Aeron), which no test's deadline should include.
     */
    private static void warmFit(SparkSession session) {
        Dataset<Row> rows = ClusterDriver.blobs(session, 256, 0, ClusterFixture.WIDTH, ClusterFixture.CLASSES, 1)[0];
        new DL4JClassifier().setNetwork(TestData.mlp(ClusterFixture.WIDTH, 8, ClusterFixture.CLASSES, 1))
                .setEpochs(1).setBatchSize(64).setNumWorkers(EXECUTORS).fit(rows);
    }

    /** Closes the shared application and cluster when JUnit closes the root store, after the last class. */
    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        final StandaloneCluster cluster;
        SparkSession session;

        Shared(StandaloneCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public void close() {
            try {
                ClusterDriver.stop(session);
            } finally {
                cluster.close();
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Shared shared = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("cluster-" + workers, key -> {
            long start = System.nanoTime();
            try {
                StandaloneCluster started = StandaloneCluster.start(workers, CORES_PER_WORKER, "3g");
                System.err.printf("[cluster] %s with %d workers up in %.1f s%n", started.masterUrl(), workers,
                        (System.nanoTime() - start) / 1e9);
                return new Shared(started);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the cluster", e);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, Shared.class);
        this.shared = shared;
        cluster = shared.cluster;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        failed = true;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null && (failed || context.getExecutionException().isPresent())) {
            cluster.keepLogs(context.getRequiredTestClass().getSimpleName());
        }
        cluster = null;
    }
}
