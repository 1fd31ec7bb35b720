package dev.sparkdl.cluster;

import java.io.IOException;
import java.util.Collection;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What one IT class holds on the shared application ({@link ClusterExtension#session()}): its own
 * listeners (barrier tasks, the driver's fit log) and data, released by {@link #close()} in
 * {@code @AfterAll} so the next class starts clean.
 */
final class ClusterFixture implements AutoCloseable {
    static final int WIDTH = 8;
    static final int CLASSES = 4;

    final ClusterExtension cluster;
    final SparkSession spark;
    final BarrierTasks barrierTasks = new BarrierTasks();
    final LogCapture log = LogCapture.barrierTrainer();
    final Dataset<Row> train;
    final Dataset<Row> test;

    private ClusterFixture(ClusterExtension cluster, SparkSession spark, long seed) {
        this.cluster = cluster;
        this.spark = spark;
        spark.sparkContext().addSparkListener(barrierTasks);
        Dataset<Row>[] data = ClusterDriver.blobs(spark, 640, 320, WIDTH, CLASSES, seed);
        train = data[0].cache();
        test = data[1].cache();
    }

    /** 640 training and 320 test rows of {@link #WIDTH} features in {@link #CLASSES} blobs. */
    static ClusterFixture open(ClusterExtension cluster, long seed) throws IOException, InterruptedException {
        return new ClusterFixture(cluster, cluster.session(), seed);
    }

    /** See {@link ClusterHygiene}; every slot of the shared application is probed. */
    void assertClean(Collection<Long> killedPids) throws InterruptedException {
        ClusterHygiene.assertClean(spark, cluster.cluster(), ClusterExtension.EXECUTORS, killedPids,
                log.progressPorts());
    }

    @Override
    public void close() {
        log.close();
        spark.sparkContext().removeSparkListener(barrierTasks);
        train.unpersist();
        test.unpersist();
    }
}
