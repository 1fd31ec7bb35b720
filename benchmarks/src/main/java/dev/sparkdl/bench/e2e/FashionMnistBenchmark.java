package dev.sparkdl.bench.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.demo.FashionMnistDemo;
import dev.sparkdl.ps.FusedAdam;
import dev.sparkdl.spark.BarrierTrainer;
import dev.sparkdl.submit.Presets;

/**
 * Fashion-MNIST MLP (784-256-10, Adam 1e-3, float32), or with {@code --model cnn} LeNet, one run, same
 * data, batch and epochs for all:
 * <ol>
 *   <li>single-process DL4J at each ND4J thread count given (the best one is the baseline);</li>
 *   <li>spark-dl allreduce with 1 and with 2 workers in {@code local[2]}, and 2 workers as they ran before
 *       shared memory and the fused Adam step (through Aeron IPC, with DL4J's updater);</li>
 *   <li>spark-dl parameter-server with 2 workers, without and with compression ({@code --compression},
 *       default threshold).</li>
 * </ol>
 * Every configuration runs once per round ({@code --rounds}, default 2) and keeps its fastest round.
 * Prints a table with the ratios against the best single-process figure and writes
 * {@code <out>/fashion-mnist-<model>.{csv,json,png}} and the results section of the README.
 *
 * <p>Options: {@code --model mlp --compression threshold --epochs 3 --batch-size 128 --threads 1,2 --master local[2] --train-limit 0
 * --test-limit 0 --seed 42 --rounds 2 --out benchmarks/results --readme benchmarks/README.md} (a limit of 0
 * means every image; {@code --readme none} leaves the README alone).
 */
public final class FashionMnistBenchmark {
    private static final long NETWORK_SEED = 12345;

    private FashionMnistBenchmark() {
    }

    /** Exits explicitly: native and Aeron threads left by a failed fit must not keep the JVM alive. */
    public static void main(String[] args) {
        int status = 0;
        try {
            run(parse(args));
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    private static void run(Map<String, String> options) throws Exception {
        int epochs = Integer.parseInt(options.getOrDefault("epochs", "3"));
        int batchSize = Integer.parseInt(options.getOrDefault("batch-size", "128"));
        String master = options.getOrDefault("master", "local[2]");
        int trainLimit = Integer.parseInt(options.getOrDefault("train-limit", "0"));
        int testLimit = Integer.parseInt(options.getOrDefault("test-limit", "0"));
        long seed = Long.parseLong(options.getOrDefault("seed", "42"));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "2"));
        Path out = Path.of(options.getOrDefault("out", "benchmarks/results"));
        String readme = options.getOrDefault("readme", "benchmarks/README.md");
        List<Integer> threadCounts = new ArrayList<>();
        for (String t : options.getOrDefault("threads", "1,2").split(",")) {
            threadCounts.add(Integer.parseInt(t.trim()));
        }

        String modelName = options.getOrDefault("model", "mlp");
        MultiLayerConfiguration network = switch (modelName) {
            case "mlp" -> FashionMnistDemo.mlp(NETWORK_SEED);
            case "cnn" -> Presets.lenet(28, 28, 1, FashionMnist.CLASSES, false, 1e-3, NETWORK_SEED);
            default -> throw new IllegalArgumentException("--model must be mlp or cnn, got " + modelName);
        };
        String resultName = "fashion-mnist-" + modelName;
        String description = "cnn".equals(modelName)
                ? "LeNet (conv5x5x20, pool, conv5x5x50, pool, dense 500, dropout 0.5, softmax), Adam 1e-3, float32"
                : "MLP 784-256-10 ReLU/softmax, Adam 1e-3, float32";
        SparkSession spark = SparkSession.builder().master(master).appName("spark-dl Fashion-MNIST benchmark")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .getOrCreate();
        try {
            Dataset<Row> train = FashionMnist.train(spark, trainLimit).cache();
            Dataset<Row> test = FashionMnist.test(spark, testLimit).cache();
            int trainRows = (int) train.count();
            int testRows = (int) test.count();
            RunEnvironment environment = RunEnvironment.capture(master, epochs, batchSize, trainRows, testRows,
                    description);
            System.out.printf(Locale.ROOT, "%s%n", environment);

            SingleProcessDl4j dl4j = SingleProcessDl4j.fromFrames(train, test, FashionMnist.CLASSES);
            dl4j.warmUp(network, batchSize);
            SparkDlRun sparkDl = new SparkDlRun(train, test);
            List<Configuration> configurations = new ArrayList<>();
            for (int threads : threadCounts) {
                String name = "DL4J single process, " + threads + " thread" + (threads > 1 ? "s" : "");
                configurations.add(new Configuration(name,
                        () -> dl4j.run(name, network, threads, epochs, batchSize, seed)));
            }
            configurations.add(new Configuration("spark-dl allreduce, 1 worker",
                    () -> sparkDl.run("spark-dl allreduce, 1 worker", network, "allreduce", 1, epochs, batchSize, seed)));
            configurations.add(new Configuration("spark-dl allreduce, 2 workers",
                    () -> sparkDl.run("spark-dl allreduce, 2 workers", network, "allreduce", 2, epochs, batchSize, seed)));
            // The step as it was before shared memory and the fused Adam step (ranks summing through Aeron IPC,
            // DL4J's own updater), for the ratio in the same run; the property reaches local mode's executors.
            String before = "spark-dl allreduce, 2 workers, over Aeron, DL4J's updater";
            configurations.add(new Configuration(before, () -> {
                spark.sparkContext().setLocalProperty(BarrierTrainer.SHARED_MEMORY_CONF, "false");
                String fused = System.setProperty(FusedAdam.ENABLED_PROPERTY, "false");
                try {
                    return sparkDl.run(before, network, "allreduce", 2, epochs, batchSize, seed);
                } finally {
                    spark.sparkContext().setLocalProperty(BarrierTrainer.SHARED_MEMORY_CONF, null);
                    // Restores what the command line set (-Dspark-dl.fusedAdam=false runs everything without it).
                    if (fused == null) {
                        System.clearProperty(FusedAdam.ENABLED_PROPERTY);
                    } else {
                        System.setProperty(FusedAdam.ENABLED_PROPERTY, fused);
                    }
                }
            }));
            configurations.add(new Configuration("spark-dl parameter-server, 2 workers",
                    () -> sparkDl.run("spark-dl parameter-server, 2 workers", network, "parameter-server", 2, epochs,
                            batchSize, seed)));
            String compression = options.getOrDefault("compression", "threshold");
            String compressed = "spark-dl parameter-server + " + compression + " compression, 2 workers";
            configurations.add(new Configuration(compressed,
                    () -> sparkDl.run(compressed, network, "parameter-server", compression, 2, epochs, batchSize, seed)));
            List<RunResult> results = runRounds(configurations, rounds);

            ResultsReport report = new ResultsReport(environment, results);
            System.out.println();
            System.out.print(report.consoleTable());
            if (report.baseline() != null) {
                System.out.printf(Locale.ROOT, "ratios are against %s%n", report.baseline().name());
            }

            Files.createDirectories(out);
            Path png = out.resolve(resultName + ".png");
            report.writeCsv(out.resolve(resultName + ".csv"));
            report.writeJson(out.resolve(resultName + ".json"));
            ResultsChart.writePng(results, environment, png);
            Files.writeString(out.resolve(resultName + ".md"), report.markdown(png.getFileName().toString()));
            if (!"none".equals(readme)) {
                Path readmePath = Path.of(readme);
                report.updateReadme(readmePath, readmePath.toAbsolutePath().getParent()
                        .relativize(png.toAbsolutePath()).toString(), resultName);
            }
            System.out.printf("wrote %s/%s.{csv,json,png,md}%n", out, resultName);
        } finally {
            spark.stop();
        }
    }

    /** A named configuration that can be run again. */
    private record Configuration(String name, Supplier<RunResult> run) {
    }

    /**
     * Runs every configuration once per round, in the same order each round, and keeps each
     * configuration's fastest round (by training-loop samples/s): on a machine shared with other
     * work, the best of several interleaved rounds is the figure least distorted by the others'
     * load, and it treats every configuration alike. Skipped or failed configurations run once.
     */
    private static List<RunResult> runRounds(List<Configuration> configurations, int rounds) {
        Map<String, List<RunResult>> byName = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            System.out.printf("---- round %d of %d%n", round, rounds);
            for (Configuration configuration : configurations) {
                List<RunResult> previous = byName.computeIfAbsent(configuration.name(), k -> new ArrayList<>());
                if (!previous.isEmpty() && !previous.get(0).ok()) {
                    continue;
                }
                previous.add(report(configuration.run().get()));
            }
        }
        List<RunResult> best = new ArrayList<>();
        for (List<RunResult> runs : byName.values()) {
            RunResult fastest = runs.stream().filter(RunResult::ok)
                    .max(Comparator.comparingDouble(RunResult::loopSamplesPerSecond)).orElse(runs.get(0));
            if (fastest.ok() && runs.size() > 1) {
                double min = runs.stream().mapToDouble(RunResult::loopSamplesPerSecond).min().orElse(Double.NaN);
                fastest = fastest.withNote(String.format(Locale.ROOT, "%s; best of %d rounds (training loop %,.0f"
                        + " to %,.0f samples/s)", fastest.note(), runs.size(), min, fastest.loopSamplesPerSecond()));
            }
            best.add(fastest);
        }
        return best;
    }

    private static RunResult report(RunResult r) {
        if (r.ok()) {
            System.out.printf(Locale.ROOT, "%-52s %,9.0f samples/s in the loop, %,9.0f over the whole fit (%.1f s), "
                            + "test accuracy %.4f, load avg %.2f -> %.2f%n", r.name(), r.loopSamplesPerSecond(),
                    r.fitSamplesPerSecond(), r.fitSeconds(), r.testAccuracy(), r.loadAverageBefore(),
                    r.loadAverageAfter());
        } else {
            System.out.printf("%-52s %s: %s%n", r.name(), r.status(), r.note());
        }
        return r;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("usage: benchmarks/run.sh fashion-mnist [--model mlp|cnn] [--compression C] [--epochs N] [--batch-size N] "
                        + "[--threads 1,2] [--master URL] [--train-limit N] [--test-limit N] [--seed N] [--rounds N] "
                        + "[--out DIR] [--readme PATH|none]");
                System.exit(2);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }
}
