package dev.sparkdl.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A minimal {@code SPARK_HOME} for the standalone cluster: a {@code jars/} folder holding exactly
 * Spark's own dependency closure (what a Spark distribution ships), and an empty {@code conf/}.
 *
 * <p>The closure is resolved by Maven from a throw-away POM that inherits the reactor's dependency
 * management and depends on spark-core/sql/mllib only (ND4J's profile switched off), so neither
 * spark-dl nor DL4J/ND4J/Aeron leak onto the executors' system class path: the executors must get
 * them from the assembly jar, as on a real cluster. The result is cached in
 * {@code target/cluster/spark-classpath.txt} until the root POM changes.
 */
final class SparkHome {
    /** Never on a Spark distribution's class path, whatever Maven resolves. */
    private static final List<String> NOT_SPARK = List.of("/dev/sparkdl/", "/org/deeplearning4j/", "/org/nd4j/",
            "/org/bytedeco/", "/io/aeron/", "/org/agrona/", "/org/knowm/", "/spark-dl-");

    private SparkHome() {
    }

    /** The reactor root: the folder holding conf/java17.options. */
    static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("conf/java17.options")) && Files.isDirectory(p.resolve("spark-dl"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the project root (conf/java17.options) above " + dir);
    }

    static Path moduleTarget() {
        return projectRoot().resolve("spark-dl/target");
    }

    /** The JVM flags of conf/java17.options, one per element. */
    static List<String> javaOptions() {
        try {
            return Files.readAllLines(projectRoot().resolve("conf/java17.options"), StandardCharsets.UTF_8).stream()
                    .map(String::trim).filter(s -> !s.isEmpty() && !s.startsWith("#")).collect(Collectors.toList());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path assemblyJar() throws IOException {
        try (Stream<Path> files = Files.list(moduleTarget())) {
            return files.filter(p -> p.getFileName().toString().matches("spark-dl-.*-assembly\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no spark-dl-*-assembly.jar in " + moduleTarget()
                            + ": run `mvn -pl spark-dl -am package -DskipTests` (mvn verify does it)"));
        }
    }

    /** Builds (or refreshes) target/cluster/spark-home and returns it. */
    static synchronized Path create() throws IOException, InterruptedException {
        Path home = moduleTarget().resolve("cluster/spark-home");
        Path jars = home.resolve("jars");
        deleteTree(home);
        Files.createDirectories(jars);
        Files.createDirectories(home.resolve("conf"));
        for (Path jar : sparkJars()) {
            Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar);
        }
        return home;
    }

    /** Spark's dependency closure as jar paths in the local Maven repository. */
    static synchronized List<Path> sparkJars() throws IOException, InterruptedException {
        Path cache = moduleTarget().resolve("cluster/spark-classpath.txt");
        Path rootPom = projectRoot().resolve("pom.xml");
        if (!Files.isRegularFile(cache)
                || Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(rootPom)) < 0) {
            resolve(cache);
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : Files.readString(cache, StandardCharsets.UTF_8).trim().split(java.io.File.pathSeparator)) {
            if (entry.endsWith(".jar") && NOT_SPARK.stream().noneMatch(entry::contains)) {
                Path jar = Path.of(entry);
                if (!Files.isRegularFile(jar)) {
                    Files.deleteIfExists(cache);
                    throw new IllegalStateException("Spark jar " + jar + " is missing; deleted the cache " + cache);
                }
                jars.add(jar);
            }
        }
        if (jars.stream().noneMatch(j -> j.getFileName().toString().startsWith("spark-core_"))) {
            throw new IllegalStateException("no spark-core in " + cache);
        }
        return jars;
    }

    private static void resolve(Path cache) throws IOException, InterruptedException {
        Path probe = cache.resolveSibling("spark-probe");
        Files.createDirectories(probe);
        Files.writeString(probe.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <parent>
                    <groupId>dev.sparkdl</groupId><artifactId>spark-dl-parent</artifactId>
                    <version>0.1.0-SNAPSHOT</version><relativePath>%s</relativePath>
                  </parent>
                  <artifactId>spark-home-probe</artifactId>
                  <packaging>pom</packaging>
                  <dependencies>
                    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_${scala.binary.version}</artifactId><scope>compile</scope></dependency>
                    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-sql_${scala.binary.version}</artifactId><scope>compile</scope></dependency>
                    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-mllib_${scala.binary.version}</artifactId><scope>compile</scope></dependency>
                  </dependencies>
                </project>
                """.formatted(projectRoot().resolve("pom.xml")), StandardCharsets.UTF_8);
        List<String> base = new ArrayList<>(List.of(maven(), "-B", "-q", "-f", probe.resolve("pom.xml").toString(),
                "-P", "!cpu,!cuda", "dependency:build-classpath", "-Dmdep.outputFile=" + cache));
        String repo = localRepository();
        if (repo != null) {
            base.add("-Dmaven.repo.local=" + repo);
        }
        List<String> offline = new ArrayList<>(base);
        offline.add(1, "-o");
        if (run(offline, probe) != 0 && run(base, probe) != 0) {
            throw new IllegalStateException("Maven could not resolve Spark's class path; see "
                    + probe.resolve("mvn.log"));
        }
    }

    private static int run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mvn.log").toFile()).start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("Maven took over 180 s to resolve Spark's class path: " + command);
        }
        return process.exitValue();
    }

    private static String maven() {
        for (String env : List.of("MAVEN_HOME", "M2_HOME")) {
            String home = System.getenv(env);
            if (home != null && Files.isExecutable(Path.of(home, "bin/mvn"))) {
                return Path.of(home, "bin/mvn").toString();
            }
        }
        return "mvn";
    }

    /** The local repository the build used, read off spark-core's path in classpath.txt. */
    private static String localRepository() throws IOException {
        Path classpath = moduleTarget().resolve("classpath.txt");
        if (!Files.isRegularFile(classpath)) {
            return null;
        }
        return Arrays.stream(Files.readString(classpath).trim().split(java.io.File.pathSeparator))
                .filter(e -> e.contains("/org/apache/spark/spark-core_"))
                .map(e -> e.substring(0, e.indexOf("/org/apache/spark/spark-core_")))
                .findFirst().orElse(null);
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
