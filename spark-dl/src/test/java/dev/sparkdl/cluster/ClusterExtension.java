package dev.sparkdl.cluster;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Gives a test class the {@link StandaloneCluster}: one cluster per test run (JVM), shared by every
 * *IT class that registers this extension, started by the first and stopped when JUnit closes its
 * root store at the end of the run. Each class runs its own Spark application on it and must stop
 * its SparkSession in {@code @AfterAll} (which runs before this extension's {@code afterAll}).
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

    /** Two, so that one application can hold two executors of two cores (two fits at once). */
    static final int CORES_PER_WORKER = 2;

    private final int workers;
    private StandaloneCluster cluster;
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

    /** Closes the shared cluster when JUnit closes the root store, after the last test class. */
    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        final StandaloneCluster cluster;

        Shared(StandaloneCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public void close() {
            cluster.close();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Shared shared = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("cluster-" + workers, key -> {
            long start = System.nanoTime();
            try {
                StandaloneCluster started = StandaloneCluster.start(workers, CORES_PER_WORKER, "2g");
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
