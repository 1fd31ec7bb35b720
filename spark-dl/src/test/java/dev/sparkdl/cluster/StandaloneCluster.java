package dev.sparkdl.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on 127.0.0.1: one Master and N Workers, each its own JVM, launched
 * from a {@link SparkHome} that holds only Spark's jars. Workers launch executors as further JVMs
 * (CoarseGrainedExecutorBackend) with {@code SPARK_HOME/jars/*} as their class path, so application
 * code must come from {@code spark.jars}.
 *
 * <p>{@link #close()} stops every process this harness started (and their descendants, i.e. the
 * executors) by PID and removes the cluster's folder; {@link #keepLogs(String)} first copies the
 * daemon and executor logs to {@code target/cluster-logs/}.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final Duration REGISTER_DEADLINE = Duration.ofSeconds(90);
    private static final Pattern ALIVE_WORKERS = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");

    private final Path dir;
    private final Path sparkHome;
    private final int masterPort;
    private final int masterWebPort;
    private final List<Daemon> daemons = new ArrayList<>();
    private final List<Path> workerDirs = new ArrayList<>();

    private record Daemon(String name, Process process, Path log) {
    }

    private StandaloneCluster(Path dir, Path sparkHome, int masterPort, int masterWebPort) {
        this.dir = dir;
        this.sparkHome = sparkHome;
        this.masterPort = masterPort;
        this.masterWebPort = masterWebPort;
    }

    /** Starts a master and {@code workers} workers and waits until all workers are registered. */
    public static StandaloneCluster start(int workers, int coresPerWorker, String workerMemory)
            throws IOException, InterruptedException {
        Path base = SparkHome.moduleTarget().resolve("cluster");
        Files.createDirectories(base);
        Path sparkHome = SparkHome.create();
        Path dir = Files.createTempDirectory(base, "run-");
        StandaloneCluster cluster = new StandaloneCluster(dir, sparkHome, freePort(), freePort());
        try {
            cluster.startDaemon("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", Integer.toString(cluster.masterPort),
                    "--webui-port", Integer.toString(cluster.masterWebPort)), null);
            cluster.awaitPort(cluster.masterPort);
            for (int i = 0; i < workers; i++) {
                Path workDir = Files.createDirectories(dir.resolve("worker-" + i));
                Path localDir = Files.createDirectories(dir.resolve("local-" + i));
                cluster.workerDirs.add(workDir);
                cluster.startDaemon("worker-" + i, List.of("org.apache.spark.deploy.worker.Worker",
                        cluster.masterUrl(), "--host", "127.0.0.1", "--port", "0",
                        "--webui-port", Integer.toString(freePort()),
                        "--cores", Integer.toString(coresPerWorker), "--memory", workerMemory,
                        "--work-dir", workDir.toString()), localDir);
            }
            cluster.awaitWorkers(workers);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            cluster.keepLogs("startup-failure");
            cluster.close();
            throw e;
        }
    }

    public String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    public String masterWebUrl() {
        return "http://127.0.0.1:" + masterWebPort;
    }

    public Path sparkHome() {
        return sparkHome;
    }

    /** A scratch folder inside the cluster's folder, removed on close. */
    public Path scratch(String name) throws IOException {
        return Files.createDirectories(dir.resolve("scratch").resolve(name));
    }

    /** Spark's jars as a class path (the SPARK_HOME wildcard), for spark-submit. */
    public String sparkClassPath() {
        return sparkHome.resolve("conf") + java.io.File.pathSeparator + sparkHome.resolve("jars") + "/*";
    }

    private void startDaemon(String name, List<String> mainAndArgs, Path localDir) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(SparkHome.javaOptions());
        command.add("-Xmx256m");
        // Daemons only route messages: start them cheaply on a small shared machine.
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(sparkClassPath());
        command.addAll(mainAndArgs);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        environment(builder.environment(), sparkHome);
        if (localDir != null) {
            // Executors inherit the worker's environment: their local dirs (spill files, blocks) stay here.
            builder.environment().put("SPARK_LOCAL_DIRS", localDir.toString());
        }
        daemons.add(new Daemon(name, builder.start(), log));
    }

    /** The environment a Spark launcher process on this cluster needs. */
    static void environment(Map<String, String> env, Path sparkHome) {
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_CONF_DIR", sparkHome.resolve("conf").toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("SPARK_CLASSPATH");
        env.remove("SPARK_DIST_CLASSPATH");
        env.remove("SPARK_TESTING");
        env.remove("SPARK_LOCAL_DIRS");
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private void awaitPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + REGISTER_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            checkDaemonsAlive();
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("nothing listens on 127.0.0.1:" + port + " after "
                + REGISTER_DEADLINE.toSeconds() + " s");
    }

    private void checkDaemonsAlive() {
        for (Daemon daemon : daemons) {
            if (!daemon.process().isAlive()) {
                throw new IllegalStateException(daemon.name() + " exited with " + daemon.process().exitValue()
                        + ":\n" + tail(daemon.log(), 40));
            }
        }
    }

    private void awaitWorkers(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + REGISTER_DEADLINE.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            checkDaemonsAlive();
            try {
                last = httpGet(masterWebUrl() + "/json/");
                Matcher m = ALIVE_WORKERS.matcher(last);
                if (m.find() && Integer.parseInt(m.group(1)) >= expected) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("after " + REGISTER_DEADLINE.toSeconds() + " s the master at "
                + masterWebUrl() + " does not list " + expected + " alive workers; last answer: " + last);
    }

    static String httpGet(String url) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
        connection.setConnectTimeout(2000);
        connection.setReadTimeout(5000);
        try (var in = connection.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            connection.disconnect();
        }
    }

    /**
     * The executor JVMs the workers of this cluster have launched and that are alive, by executor id.
     * Only descendants of the workers this harness started are considered.
     */
    public List<ExecutorProcess> executors() {
        List<ExecutorProcess> out = new ArrayList<>();
        for (Daemon daemon : daemons) {
            if (!daemon.name().startsWith("worker-")) {
                continue;
            }
            daemon.process().toHandle().descendants().filter(ProcessHandle::isAlive).forEach(handle -> {
                Optional<String[]> args = handle.info().arguments();
                String commandLine = handle.info().commandLine().orElse("");
                if (args.isPresent() && commandLine.contains("CoarseGrainedExecutorBackend")) {
                    List<String> list = List.of(args.get());
                    int at = list.indexOf("--executor-id");
                    int appAt = list.indexOf("--app-id");
                    if (at >= 0 && at + 1 < list.size()) {
                        out.add(new ExecutorProcess(list.get(at + 1), appAt >= 0 ? list.get(appAt + 1) : "?",
                                daemon.name(), handle));
                    }
                }
            });
        }
        return Collections.unmodifiableList(out);
    }

    /** An executor JVM: Spark's executor id, its application, the worker that launched it, the process. */
    public record ExecutorProcess(String executorId, String appId, String worker, ProcessHandle process) {
        public long pid() {
            return process.pid();
        }
    }

    /** Everything the executors of {@code appId} wrote to stderr so far (their log), concatenated. */
    public String executorLogs(String appId) {
        StringBuilder out = new StringBuilder();
        for (Path workDir : workerDirs) {
            Path app = workDir.resolve(appId);
            if (!Files.isDirectory(app)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(app)) {
                for (Path p : walk.filter(f -> f.getFileName().toString().equals("stderr")).sorted().toList()) {
                    out.append("==> ").append(p).append('\n')
                            .append(Files.readString(p, StandardCharsets.ISO_8859_1));
                }
            } catch (IOException e) {
                out.append("(cannot read ").append(app).append(": ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    /** Copies the daemon logs and every executor's stdout/stderr to target/cluster-logs/{label}. */
    public void keepLogs(String label) {
        Path target = SparkHome.moduleTarget().resolve("cluster-logs").resolve(label);
        try {
            Files.createDirectories(target);
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    String file = p.getFileName().toString();
                    if (file.endsWith(".log") || file.equals("stdout") || file.equals("stderr")) {
                        Path copy = target.resolve(dir.relativize(p).toString());
                        Files.createDirectories(copy.getParent());
                        Files.copy(p, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            System.err.println("[cluster] logs kept in " + target);
        } catch (IOException e) {
            System.err.println("[cluster] could not keep logs: " + e);
        }
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops workers (and their executors) then the master, by PID; removes the cluster folder. */
    @Override
    public void close() {
        List<ProcessHandle> started = new ArrayList<>();
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process process = daemons.get(i).process();
            // descendants first, while the parent still links them: executors of the workers
            process.toHandle().descendants().forEach(started::add);
            started.add(process.toHandle());
        }
        for (ProcessHandle handle : started) {
            handle.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (ProcessHandle handle : started) {
            long left = deadline - System.nanoTime();
            try {
                handle.onExit().get(Math.max(1, left), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                handle.destroyForcibly();
            }
        }
        for (ProcessHandle handle : started) {
            try {
                handle.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("[cluster] process " + handle.pid() + " did not exit after SIGKILL");
            }
        }
        try {
            SparkHome.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove " + dir, e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** The PID of an alive process started by this cluster, for assertions. */
    public OptionalLong daemonPid(String name) {
        return daemons.stream().filter(d -> d.name().equals(name) && d.process().isAlive())
                .mapToLong(d -> d.process().pid()).findFirst();
    }
}
