package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sparkdl.ml.DL4JClassificationModel;

/**
 * The assembly jar launched the way users run it: Spark's own {@code SparkSubmit} (a JVM with only
 * Spark's jars) in client mode against the standalone cluster, main class {@code dev.sparkdl.submit.Train}.
 */
class SparkSubmitIT {
    private static final long SUBMIT_DEADLINE_S = 360;
    private static final Pattern ACCURACY = Pattern.compile("(?m)^test accuracy (\\d+\\.\\d+)$");

    @RegisterExtension
    static final ClusterExtension CLUSTER = new ClusterExtension(2);

    /** The shared application: writes the Parquet input and reads the saved model back. */
    private static SparkSession spark;
    private static Dataset<Row> test;
    private static Path trainPath;
    private static Path testPath;

    @BeforeAll
    static void data() throws Exception {
        spark = CLUSTER.session();
        Dataset<Row>[] data = ClusterDriver.blobs(spark, 640, 320, 8, 4, 23);
        Path dir = CLUSTER.cluster().scratch("data");
        trainPath = dir.resolve("train.parquet");
        testPath = dir.resolve("test.parquet");
        data[0].repartition(2).write().parquet(trainPath.toString());
        data[1].write().parquet(testPath.toString());
        test = spark.read().parquet(testPath.toString()).cache();
    }

    @AfterAll
    static void release() {
        if (test != null) {
            test.unpersist();
        }
    }

    @Test
    @Timeout(value = SUBMIT_DEADLINE_S + 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void trainsWithTheAssemblyJarThroughSparkSubmit() throws Exception {
        StandaloneCluster cluster = CLUSTER.cluster();
        Path model = cluster.scratch("model").resolve("fashion");
        Path log = cluster.scratch("submit").resolve("spark-submit.log");

        List<String> command = new ArrayList<>();
        command.add(StandaloneCluster.javaExecutable());
        command.addAll(SparkHome.javaOptions()); // the client-mode driver is this JVM
        command.add("-Xmx768m");
        command.addAll(List.of("-cp", cluster.sparkClassPath(), "org.apache.spark.deploy.SparkSubmit",
                "--master", cluster.masterUrl(), "--deploy-mode", "client",
                "--class", "dev.sparkdl.submit.Train",
                "--conf", "spark.executor.extraJavaOptions=" + ClusterDriver.executorJavaOptions(),
                "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2",
                "--conf", "spark.executor.memory=1g",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
                SparkHome.assemblyJar().toString(),
                "--train", trainPath.toString(), "--test", testPath.toString(),
                "--epochs", "4", "--batch-size", "32", "--workers", "2", "--hidden", "16",
                "--learning-rate", "0.01", "--output", model.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        StandaloneCluster.environment(builder.environment(), cluster.sparkHome());

        long start = System.nanoTime();
        Process submit = builder.start();
        boolean exited = submit.waitFor(SUBMIT_DEADLINE_S, TimeUnit.SECONDS);
        if (!exited) {
            submit.descendants().forEach(ProcessHandle::destroyForcibly);
            submit.destroyForcibly();
            submit.waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.ISO_8859_1);
        Path kept = Files.createDirectories(SparkHome.moduleTarget().resolve("cluster-logs/SparkSubmitIT"));
        Files.copy(log, kept.resolve("spark-submit.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.err.printf("[SparkSubmitIT] spark-submit ran %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertTrue(exited, "spark-submit still running after " + SUBMIT_DEADLINE_S + " s:\n" + tail(output));
        assertEquals(0, submit.exitValue(), "spark-submit exit code; output:\n" + tail(output));

        Matcher m = ACCURACY.matcher(output);
        assertTrue(m.find(), "no 'test accuracy' line in:\n" + tail(output));
        double printed = Double.parseDouble(m.group(1));
        System.err.printf("[SparkSubmitIT] printed test accuracy %.4f%n", printed);
        assertTrue(printed >= 0.95, "printed test accuracy " + printed);
        assertTrue(output.contains("model saved to " + model), "no 'model saved to' line");

        DL4JClassificationModel loaded = DL4JClassificationModel.load(model.toString());
        double again = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(loaded.transform(test));
        assertEquals(printed, again, 1e-4, "the loaded model scores the test set differently");
        assertEquals(4, loaded.trainingHistory().size());
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
    }
}
