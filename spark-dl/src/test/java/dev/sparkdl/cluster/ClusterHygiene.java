package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.SparkSession;

/**
 * What must hold after every fit on the cluster, successful or failed: every executor JVM is clean
 * (see {@link ExecutorProbe}), no executor of this application, alive or killed, left an Aeron
 * directory in /dev/shm, the driver runs no spark-dl thread, and the progress ports the fits
 * listened on are closed. Threads and drivers stop asynchronously, so it looks again for a while
 * before failing with everything it found.
 */
final class ClusterHygiene {
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private ClusterHygiene() {
    }

    /**
     * @param slots         task slots of the application (one probe task each)
     * @param killedPids    executor JVMs the test killed: their Aeron directories must have been swept
     * @param progressPorts driver ports the fits listened on (from {@link LogCapture#progressPorts})
     */
    static void assertClean(SparkSession spark, StandaloneCluster cluster, int slots, Collection<Long> killedPids,
                            Collection<Integer> progressPorts) throws InterruptedException {
        String appId = spark.sparkContext().applicationId();
        long deadline = System.nanoTime() + SETTLE.toNanos();
        List<String> problems;
        while (true) {
            problems = new ArrayList<>();
            for (ExecutorProbe.Report report : ExecutorProbe.run(spark, slots)) {
                if (!report.clean()) {
                    problems.add("executor " + report);
                }
            }
            List<Long> pids = new ArrayList<>(killedPids);
            cluster.executors().stream().filter(e -> e.appId().equals(appId)).forEach(e -> pids.add(e.pid()));
            for (long pid : pids) {
                Path dir = Path.of("/dev/shm", "spark-dl-aeron-" + pid);
                if (Files.exists(dir)) {
                    problems.add(dir + " left by executor JVM " + pid
                            + (killedPids.contains(pid) ? " (killed; nothing swept it)" : ""));
                }
            }
            for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
                if (entry.getKey().isAlive() && entry.getKey().getName().startsWith("spark-dl")) {
                    problems.add("driver thread " + entry.getKey().getName());
                }
            }
            for (int port : progressPorts) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                    problems.add("the driver still listens on progress port " + port);
                } catch (IOException expected) {
                    // released
                }
            }
            if (problems.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("a fit left resources behind (still after " + SETTLE.toSeconds() + " s):\n  "
                        + String.join("\n  ", problems));
            }
            Thread.sleep(500);
        }
    }
}
