package dev.sparkdl.cluster;

import java.util.Optional;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Starts a {@link StandaloneCluster} before a test class and stops it after (after the class's own
 * {@code @AfterAll}, which should stop its SparkSession); keeps the cluster's logs in
 * {@code target/cluster-logs/<class>} when a test or a class callback failed.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final ClusterExtension CLUSTER = new ClusterExtension(2);
 * </pre>
 */
public final class ClusterExtension implements BeforeAllCallback, AfterAllCallback, TestWatcher {
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

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        long start = System.nanoTime();
        cluster = StandaloneCluster.start(workers, 1, "2g");
        System.err.printf("[cluster] %s with %d workers up in %.1f s%n", cluster.masterUrl(), workers,
                (System.nanoTime() - start) / 1e9);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        failed = true;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster == null) {
            return;
        }
        if (failed || context.getExecutionException().isPresent()) {
            cluster.keepLogs(context.getRequiredTestClass().getSimpleName());
        }
        cluster.close();
        cluster = null;
    }

    Optional<StandaloneCluster> current() {
        return Optional.ofNullable(cluster);
    }
}
