package dev.sparkdl.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Random;

import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import dev.sparkdl.TestData;

/** A driver in the test JVM on a {@link StandaloneCluster}, and data for it. */
final class ClusterDriver {
    static final Duration EXECUTOR_DEADLINE = Duration.ofSeconds(120);

    private ClusterDriver() {
    }

    /** spark.executor.extraJavaOptions: the flags of conf/java17.options. */
    static String executorJavaOptions() {
        return String.join(" ", SparkHome.javaOptions());
    }

    /**
     * A session on the cluster with {@code executors} executors of one core each, the spark-dl classes
     * shipped to them as the assembly jar; returns once all executors are registered.
     */
    static SparkSession session(StandaloneCluster cluster, String app, int executors)
            throws IOException, InterruptedException {
        return session(cluster, app, executors, 1, Map.of());
    }

    /**
     * A session with {@code executors} executors of {@code cores} cores each and extra settings; the
     * test hooks ({@link FaultyFileSystem} as {@code faulty:}, {@link ExecutorProbe}) ship with it.
     */
    static SparkSession session(StandaloneCluster cluster, String app, int executors, int cores,
                                Map<String, String> conf) throws IOException, InterruptedException {
        if (SparkSession.getDefaultSession().isDefined() || SparkSession.getActiveSession().isDefined()) {
            throw new IllegalStateException("another SparkSession is running in this JVM; the cluster tests need "
                    + "their own driver");
        }
        checkNettyVersions();
        SparkSession.Builder builder = SparkSession.builder()
                .master(cluster.masterUrl())
                .appName(app)
                .config("spark.jars", SparkHome.assemblyJar() + "," + testHooksJar())
                .config("spark.hadoop.fs." + FaultyFileSystem.SCHEME + ".impl", FaultyFileSystem.class.getName())
                .config("spark.hadoop.fs." + FaultyFileSystem.SCHEME + ".impl.disable.cache", "true")
                .config("spark.executor.extraJavaOptions", executorJavaOptions())
                .config("spark.executor.cores", Integer.toString(cores))
                .config("spark.cores.max", Integer.toString(executors * cores))
                .config("spark.executor.memory", "1g")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                // the first job waits for every executor instead of running on whichever came first
                .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                .config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s");
        conf.forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            awaitExecutors(spark, executors);
        } catch (RuntimeException | InterruptedException e) {
            stop(spark);
            throw e;
        }
        return spark;
    }

    /**
     * Spark's RPC between JVMs breaks (NoClassDefFoundError io/netty/util/Recycler$EnhancedHandle, then
     * "All masters are unresponsive") when the class path mixes Netty versions, e.g. Arrow's
     * netty-common/netty-buffer 4.1.82 winning over Spark's 4.1.96. Local mode never notices.
     */
    static void checkNettyVersions() {
        Map<String, String> versions = new TreeMap<>();
        io.netty.util.Version.identify().forEach((artifact, version) -> {
            if (!artifact.contains("tcnative") && !artifact.contains("native-")) {
                versions.put(artifact, version.artifactVersion());
            }
        });
        if (versions.values().stream().distinct().count() > 1) {
            throw new IllegalStateException("the test class path mixes Netty versions " + versions
                    + "; Spark's RPC to a real cluster cannot work: pin io.netty to Spark's version in the POM");
        }
    }

    /**
     * A jar of the test classes that must run inside executors (the fault-injecting file system and
     * the probe), built from target/test-classes.
     */
    static Path testHooksJar() throws IOException {
        Path classes = SparkHome.moduleTarget().resolve("test-classes");
        Path jar = SparkHome.moduleTarget().resolve("cluster/spark-dl-test-hooks.jar");
        Files.createDirectories(jar.getParent());
        List<String> hooks = List.of(FaultyFileSystem.class.getSimpleName(), ExecutorProbe.class.getSimpleName());
        Path pkg = classes.resolve("dev/sparkdl/cluster");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.list(pkg)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (hooks.stream().anyMatch(h -> name.equals(h + ".class") || name.startsWith(h + "$"))) {
                    out.putNextEntry(new JarEntry("dev/sparkdl/cluster/" + name));
                    Files.copy(file, out);
                    out.closeEntry();
                }
            }
        }
        return jar;
    }

    static void awaitExecutors(SparkSession spark, int executors) throws InterruptedException {
        long deadline = System.nanoTime() + EXECUTOR_DEADLINE.toNanos();
        while (spark.sparkContext().statusTracker().getExecutorInfos().length < executors + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + Math.max(0, spark.sparkContext().statusTracker()
                        .getExecutorInfos().length - 1) + " of " + executors + " executors registered within "
                        + EXECUTOR_DEADLINE.toSeconds() + " s");
            }
            Thread.sleep(200);
        }
    }

    static void stop(SparkSession spark) {
        if (spark != null) {
            spark.stop();
        }
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    /** Train and test sets drawn from the same Gaussian blobs (see {@link TestData#blobs}). */
    static Dataset<Row>[] blobs(SparkSession spark, int trainRows, int testRows, int width, int classes,
                                long seed) {
        Random random = new Random(seed);
        double[][] centres = new double[classes][width];
        for (double[] centre : centres) {
            for (int d = 0; d < width; d++) {
                centre[d] = random.nextGaussian() * 3;
            }
        }
        List<Row> train = new ArrayList<>();
        List<Row> test = new ArrayList<>();
        for (int i = 0; i < trainRows + testRows; i++) {
            int label = random.nextInt(classes);
            double[] x = new double[width];
            for (int d = 0; d < width; d++) {
                x[d] = centres[label][d] + random.nextGaussian() * 0.8;
            }
            (i < trainRows ? train : test).add(RowFactory.create(Vectors.dense(x), (double) label));
        }
        @SuppressWarnings("unchecked")
        Dataset<Row>[] out = new Dataset[] {
                spark.createDataFrame(train, TestData.VECTOR_SCHEMA),
                spark.createDataFrame(test, TestData.VECTOR_SCHEMA)};
        return out;
    }
}
