package dev.sparkdl.bench.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Which nd4j-native build to ship: the generic x86-64 build against the {@code -avx2}, {@code -avx512},
 * {@code -onednn}, {@code -onednn-avx2} and {@code -onednn-avx512} builds, on the single-process
 * Fashion-MNIST MLP. Each build runs in its own child JVM ({@link BackendProbe}) whose class path has
 * that build in place of the generic one (JavaCPP loads whichever it finds); the probe reports the
 * library it really loaded. Builds whose instructions this CPU lacks are listed as not run, with the
 * missing flag: loading them would kill the JVM with SIGILL.
 *
 * <p>Rounds are interleaved (every build once per round, in turn) and the median round is reported, so
 * load from other work falls on every build alike. Options: {@code --threads 1,2 --rounds 3 --epochs 1
 * --train-limit 20000 --test-limit 10000 --out benchmarks/results}. Needs {@code mvn -Pbackends package
 * -pl benchmarks}, which benchmarks/run.sh does.
 */
public final class BackendBenchmark {
    private static final String GENERIC = "linux-x86_64";
    private static final Path BUILDS_DIR = Path.of("benchmarks/target/backends");

    /** A build and the CPU flags it needs. */
    private record Build(String classifier, List<String> requiredFlags, boolean needsDnnl) {
    }

    private static final List<Build> BUILDS = List.of(
            new Build(GENERIC, List.of(), false),
            new Build(GENERIC + "-avx2", List.of("avx2", "fma"), false),
            new Build(GENERIC + "-avx512", List.of("avx512f", "avx512bw", "avx512vl"), false),
            new Build(GENERIC + "-onednn", List.of(), true),
            new Build(GENERIC + "-onednn-avx2", List.of("avx2", "fma"), true),
            new Build(GENERIC + "-onednn-avx512", List.of("avx512f", "avx512bw", "avx512vl"), true));

    private BackendBenchmark() {
    }

    public static void main(String[] args) {
        int status = 0;
        try {
            run(Options.parse(args));
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    private static void run(Map<String, String> options) throws Exception {
        List<Integer> threads = Arrays.stream(options.getOrDefault("threads", "1,2").split(","))
                .map(String::trim).map(Integer::valueOf).toList();
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
        String epochs = options.getOrDefault("epochs", "1");
        String trainLimit = options.getOrDefault("train-limit", "20000");
        String testLimit = options.getOrDefault("test-limit", "10000");
        Path out = Path.of(options.getOrDefault("out", "benchmarks/results"));
        Set<String> cpuFlags = cpuFlags();
        String genericJar = genericJar();

        Map<String, List<double[]>> samples = new LinkedHashMap<>(); // key: build|threads -> (samples/s, accuracy)
        Map<String, String> loaded = new LinkedHashMap<>();
        double loadStart = LoadAverage.oneMinute();
        for (int round = 1; round <= rounds; round++) {
            for (Build build : BUILDS) {
                if (!missingFlags(build, cpuFlags).isEmpty()) {
                    continue;
                }
                for (int t : threads) {
                    String classPath = classPathWith(build, genericJar);
                    String[] line = probe(classPath, t, epochs, trainLimit, testLimit);
                    String key = build.classifier() + "|" + t;
                    loaded.put(key, line[1]);
                    samples.computeIfAbsent(key, k -> new ArrayList<>())
                            .add(new double[] {Double.parseDouble(line[3]), Double.parseDouble(line[4])});
                    System.out.printf(Locale.ROOT, "round %d  %-30s %d thread(s)  %,9.0f samples/s  accuracy %s"
                            + "  (loaded %s, load avg %.2f)%n", round, build.classifier(), t,
                            Double.parseDouble(line[3]), line[4], line[1], LoadAverage.oneMinute());
                }
            }
        }
        double loadEnd = LoadAverage.oneMinute();

        StringBuilder csv = new StringBuilder("build,threads,loaded,samples_per_s_median,samples_per_s_min,"
                + "samples_per_s_max,x_generic_same_threads,test_accuracy,status\n");
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Measured %s on %d cores (%s); CPU flags present: %s. Single-process "
                        + "Fashion-MNIST MLP 784-256-10, Adam, batch 128, %s epoch(s) on %s training images; median of "
                        + "%d interleaved rounds (min-max in brackets); load average %.2f at the start, %.2f at the end."
                        + "%n%n", java.time.Instant.now(), Runtime.getRuntime().availableProcessors(),
                LoadAverage.cpuModel(), presentVectorFlags(cpuFlags), epochs, trainLimit, rounds, loadStart, loadEnd));
        md.append("| build | threads | loaded | samples/s | x generic | test accuracy |\n|---|---|---|---|---|---|\n");
        for (Build build : BUILDS) {
            List<String> missing = missingFlags(build, cpuFlags);
            for (int t : threads) {
                if (!missing.isEmpty()) {
                    String why = "not run: this CPU lacks " + String.join(", ", missing);
                    csv.append(String.format(Locale.ROOT, "%s,%d,,,,,,,%s%n", build.classifier(), t, why));
                    md.append(String.format(Locale.ROOT, "| %s | %d | - | %s | | |%n", build.classifier(), t, why));
                    continue;
                }
                String key = build.classifier() + "|" + t;
                double[] stats = stats(samples.get(key));
                double[] generic = stats(samples.get(GENERIC + "|" + t));
                double ratio = stats[0] / generic[0];
                csv.append(String.format(Locale.ROOT, "%s,%d,%s,%.1f,%.1f,%.1f,%.3f,%.4f,ok%n", build.classifier(), t,
                        loaded.get(key), stats[0], stats[1], stats[2], ratio, stats[3]));
                md.append(String.format(Locale.ROOT, "| %s | %d | %s | %,.0f (%,.0f-%,.0f) | %.2f | %.4f |%n",
                        build.classifier(), t, loaded.get(key), stats[0], stats[1], stats[2], ratio, stats[3]));
            }
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("backends.csv"), csv);
        Files.writeString(out.resolve("backends.md"), md);
        System.out.println();
        System.out.print(md);
        System.out.printf("wrote %s/backends.{csv,md}%n", out);
    }

    /** Median, min, max of samples/s and the median run's accuracy. */
    private static double[] stats(List<double[]> runs) {
        List<double[]> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(a[0], b[0]));
        double[] median = sorted.get(sorted.size() / 2);
        return new double[] {median[0], sorted.get(0)[0], sorted.get(sorted.size() - 1)[0], median[1]};
    }

    private static String[] probe(String classPath, int threads, String epochs, String trainLimit, String testLimit)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "@conf/java17.options", "-Xmx4g",
                "-Dlog4j2.configurationFile=conf/log4j2.properties", "-cp", classPath,
                BackendProbe.class.getName(), Integer.toString(threads), epochs, "128", trainLimit, testLimit));
        Path log = Files.createTempFile("spark-dl-backend-probe", ".log");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(15, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("backend probe did not finish within 15 minutes: " + command);
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (String line : lines) {
                if (line.startsWith(BackendProbe.RESULT_TAG)) {
                    return line.split("\t");
                }
            }
            throw new IllegalStateException("backend probe exited " + process.exitValue() + " without a result; last "
                    + "lines:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String classPathWith(Build build, String genericJar) {
        String classPath = System.getProperty("java.class.path");
        if (build.classifier().equals(GENERIC)) {
            return classPath;
        }
        String variantJar = builtJar("nd4j-native-", build.classifier() + ".jar");
        classPath = classPath.replace(genericJar, variantJar);
        if (build.needsDnnl()) {
            classPath += File.pathSeparator + builtJar("dnnl-", "1.5.7.jar") + File.pathSeparator
                    + builtJar("dnnl-", "linux-x86_64.jar");
        }
        return classPath;
    }

    private static String builtJar(String prefix, String suffix) {
        try (var files = Files.list(BUILDS_DIR)) {
            return files.map(Path::toString).filter(p -> {
                String name = p.substring(p.lastIndexOf('/') + 1);
                return name.startsWith(prefix) && name.endsWith(suffix);
            }).findFirst().orElseThrow(() -> new IllegalStateException("no " + prefix + "*" + suffix + " in "
                    + BUILDS_DIR + ": build with mvn -Pbackends package -pl benchmarks (benchmarks/run.sh does)"));
        } catch (IOException e) {
            throw new IllegalStateException(BUILDS_DIR + " is missing: build with mvn -Pbackends package -pl benchmarks",
                    e);
        }
    }

    private static String genericJar() {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = entry.substring(entry.lastIndexOf('/') + 1);
            if (name.matches("nd4j-native-[0-9][^-]*(-M[0-9.]+)?-" + GENERIC + "\\.jar")) {
                return entry;
            }
        }
        throw new IllegalStateException("the generic nd4j-native " + GENERIC + " jar is not on the class path");
    }

    private static List<String> missingFlags(Build build, Set<String> cpuFlags) {
        return build.requiredFlags().stream().filter(f -> !cpuFlags.contains(f)).toList();
    }

    private static String presentVectorFlags(Set<String> cpuFlags) {
        return String.join(" ", cpuFlags.stream().filter(f -> f.startsWith("avx") || f.equals("fma")).toList());
    }

    private static Set<String> cpuFlags() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("flags")) {
                return new TreeSet<>(Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
            }
        }
        throw new IllegalStateException("/proc/cpuinfo has no flags line");
    }

    /** {@code --name value} pairs. */
    private static final class Options {
        static Map<String, String> parse(String[] args) {
            Map<String, String> options = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    System.err.println("usage: benchmarks/run.sh backends [--threads 1,2] [--rounds 3] [--epochs 1] "
                            + "[--train-limit 20000] [--test-limit 10000] [--out DIR]");
                    System.exit(2);
                }
                options.put(args[i].substring(2), args[++i]);
            }
            return options;
        }
    }
}
