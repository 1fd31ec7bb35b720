package dev.sparkdl.bench.ps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import dev.sparkdl.bench.collective.AllreduceBenchmark;
import dev.sparkdl.bench.collective.RingRankMain;
import dev.sparkdl.bench.e2e.LoadAverage;
import dev.sparkdl.bench.e2e.SingleProcessDl4j;
import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.demo.FashionMnistDemo;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.TrainingPlan;
import dev.sparkdl.transport.LinkMedium;

/**
 * The parameter-server benchmark ({@code benchmarks/run.sh ps}), three parts in one run:
 * <ol>
 *   <li>push/pull throughput: N ranks as JVMs on loopback ({@link PsRankMain}), each step every rank pushes
 *   a gradient of the whole vector and pulls the whole vector back (staleness 0, no compression);</li>
 *   <li>each codec on real gradients: the demo's Fashion-MNIST MLP trained with the parameter server and
 *   each compression for the same epochs: bytes rank 0 pushed and pulled per step, the push compression
 *   ratio against the dense gradient (4 bytes a value), and test accuracy;</li>
 *   <li>time to a test accuracy (0.85 by default): allreduce, the parameter server, and the parameter server
 *   with threshold compression, same model, data, initial parameters and epochs, training seconds.</li>
 * </ol>
 * Parts 2 and 3 share the fits, run with spark-dl's training core and ranks as threads (see
 * {@link InProcessTraining}). Writes {@code benchmarks/results/ps.csv} and {@code ps.md} and rewrites the
 * results section of {@code benchmarks/README.md}.
 */
public final class ParameterServerBenchmark {
    private static final String USAGE = "usage: benchmarks/run.sh ps [--sizes 1M,16M] [--ranks 2,4] [--warmup 2] "
            + "[--reps 5] [--jit-warmup 200] [--workers 2] [--epochs 6] [--batch-size 128] [--train-limit 0] [--test-limit 0] "
            + "[--staleness 2] [--threshold 1e-3] [--topk 10000] [--lr-decay 0.8] [--target 0.85] [--out benchmarks/results] [--throughput-only true] "
            + "[--transports ipc,udp]";

    private ParameterServerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("bad option " + args[i] + "\n" + USAGE);
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        long[] sizes = Arrays.stream(opts.getOrDefault("sizes", "1M,16M").split(","))
                .mapToLong(ParameterServerBenchmark::parseFloats)
                .toArray();
        int[] rankCounts = Arrays.stream(opts.getOrDefault("ranks", "2,4").split(",")).mapToInt(Integer::parseInt).toArray();
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "2"));
        int reps = Integer.parseInt(opts.getOrDefault("reps", "5"));
        int jitWarmup = Integer.parseInt(opts.getOrDefault("jit-warmup", "200"));
        int workers = Integer.parseInt(opts.getOrDefault("workers", "2"));
        int epochs = Integer.parseInt(opts.getOrDefault("epochs", "6"));
        int batchSize = Integer.parseInt(opts.getOrDefault("batch-size", "128"));
        int trainLimit = Integer.parseInt(opts.getOrDefault("train-limit", "0"));
        int testLimit = Integer.parseInt(opts.getOrDefault("test-limit", "0"));
        int staleness = Integer.parseInt(opts.getOrDefault("staleness", "2"));
        double threshold = Double.parseDouble(opts.getOrDefault("threshold", "1e-3"));
        int topK = Integer.parseInt(opts.getOrDefault("topk", "10000"));
        // The learning rate's factor per epoch: a decaying rate ends every mode on a settled model, so the
        // accuracies compare the codecs, not where each fit's last epoch happened to swing.
        double lrDecay = Double.parseDouble(opts.getOrDefault("lr-decay", "0.8"));
        double target = Double.parseDouble(opts.getOrDefault("target", "0.85"));
        Path out = Path.of(opts.getOrDefault("out", "benchmarks/results"));
        List<LinkMedium> transports = AllreduceBenchmark.links(opts.getOrDefault("transports", "ipc,udp"));

        double loadStart = LoadAverage.oneMinute();
        Instant started = Instant.now();
        System.out.println("load average at start: " + loadStart);
        StringBuilder csv = new StringBuilder("part,config,metric,value,load_1min\n");
        StringBuilder md = new StringBuilder();

        // 1. Push/pull throughput, ranks as JVMs.
        md.append("#### Push/pull throughput (ranks as JVMs on one host, staleness 0, no compression)\n\n")
                .append("Each step every rank pushes its gradient of the whole vector (each shard to its owner) and ")
                .append("pulls the whole vector back. Median step over ").append(reps).append(" timed steps after ")
                .append(warmup).append(" warm-up (each rank JVM first ran ").append(jitWarmup)
                .append(" steps of 256K floats for the JIT), the slowest rank per step. MB = 10^6 bytes; a message is a ")
                .append("frame a shard owner accepted (push chunk or pull request). Links: IPC through each other's ")
                .append("media drivers (the default for ranks on one host) or UDP on 127.0.0.1 (ranks on different ")
                .append("hosts).\n\n")
                .append("| ranks | links | floats | step ms | MB/s per rank (push+pull) | MB/s all ranks | messages/s | load |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        for (int n : rankCounts) {
            for (LinkMedium transport : transports) {
                for (long floats : sizes) {
                    double load = LoadAverage.oneMinute();
                    double[] figures = throughput(n, floats, warmup, reps, jitWarmup, transport);
                    double stepMs = figures[0] / 1e6;
                    double perRankMBs = figures[1] / (figures[0] / 1e9) / 1e6;
                    double messagesPerS = figures[2] / (figures[0] / 1e9);
                    String config = n + " ranks, " + transport.label() + ", " + label(floats);
                    csv.append(row("throughput", config, "step_ms", stepMs, load))
                            .append(row("throughput", config, "MB_per_s_per_rank", perRankMBs, load))
                            .append(row("throughput", config, "messages_per_s", messagesPerS, load));
                    md.append(String.format(Locale.ROOT, "| %d | %s | %s | %.1f | %.0f | %.0f | %,.0f | %.2f |%n", n,
                            transport.label(), label(floats), stepMs, perRankMBs,
                            perRankMBs * n, messagesPerS, load));
                    System.out.printf(Locale.ROOT, "RESULT throughput ranks=%d links=%s floats=%s step_ms=%.2f MB/s/rank=%.1f "
                            + "msgs/s=%.0f%n", n, transport.label(), label(floats), stepMs, perRankMBs, messagesPerS);
                }
            }
        }

        if (Boolean.parseBoolean(opts.getOrDefault("throughput-only", "false"))) {
            // A quick look at the wire alone: printed, README left as it is.
            System.out.print(md);
            System.exit(0);
        }

        // 2 and 3. Fits on Fashion-MNIST with the training core, ranks as threads.
        DataSet train;
        DataSet test;
        SparkSession spark = SparkSession.builder().master("local[2]").appName("spark-dl ps benchmark")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            train = SingleProcessDl4j.toDataSet(FashionMnist.train(spark, trainLimit), FashionMnist.CLASSES);
            test = SingleProcessDl4j.toDataSet(FashionMnist.test(spark, testLimit), FashionMnist.CLASSES);
        } finally {
            spark.stop();
        }
        MultiLayerConfiguration network = FashionMnistDemo.mlp(12345);
        for (NeuralNetConfiguration layer : network.getConfs()) {
            // The demo's Adam, its rate now decaying from the demo's value.
            Adam adam = (Adam) ((BaseLayer) layer.getLayer()).getIUpdater().clone();
            adam.setLearningRateSchedule(new ExponentialSchedule(ScheduleType.EPOCH, adam.getLearningRate(), lrDecay));
            ((BaseLayer) layer.getLayer()).setIUpdater(adam);
        }
        NetworkSpec spec = NetworkSpec.of(network);
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();
        long denseBytes = initial.length() * Float.BYTES;
        TrainingPlan plan = TrainingPlan.forRows(train.numExamples(), epochs, batchSize, 7, true, 0);
        List<InProcessTraining.Mode> modes = List.of(
                new InProcessTraining.Mode("allreduce", false, 0, "none"),
                new InProcessTraining.Mode("parameter-server", true, staleness, "none"),
                new InProcessTraining.Mode("parameter-server + threshold", true, staleness, "threshold"),
                new InProcessTraining.Mode("parameter-server + int8", true, staleness, "int8"),
                new InProcessTraining.Mode("parameter-server + topk", true, staleness, "topk"));
        List<InProcessTraining.Result> results = new ArrayList<>();
        List<Double> loads = new ArrayList<>();
        for (InProcessTraining.Mode mode : modes) {
            loads.add(LoadAverage.oneMinute());
            InProcessTraining.Result result = InProcessTraining.fit(mode, spec, initial, train, test, workers, plan,
                    threshold, topK);
            results.add(result);
            System.out.printf(Locale.ROOT, "RESULT fit %s: accuracy %s push B/step %.0f pull B/step %.0f%n",
                    mode.label(), result.epochs(), result.pushBytesPerStep(), result.pullBytesPerStep());
        }
        String setup = String.format(Locale.ROOT, "the demo's MLP 784-256-10 (Adam 1e-3 times %s per epoch, %,d parameters = %,d dense "
                        + "bytes), %,d training and %,d test images, %d workers, global batch %d, %d epochs (%d steps), "
                        + "staleness %d, threshold %s, top-k %d", opts.getOrDefault("lr-decay", "0.8"), initial.length(), denseBytes, train.numExamples(),
                test.numExamples(), workers, batchSize, epochs, plan.stepsPerEpoch() * epochs, staleness,
                opts.getOrDefault("threshold", "1e-3"), topK);
        md.append("\n#### Each codec on real gradients (").append(setup).append(")\n\n")
                .append("Bytes are rank 0's per step: pushed (gradient chunks, pull requests) and pulled (parameter ")
                .append("chunks, never compressed). Push ratio: the dense gradient's bytes over the bytes pushed.\n\n")
                .append("| mode | pushed B/step | pulled B/step | on the wire B/step | push ratio | mean staleness | ")
                .append("test accuracy after ").append(epochs).append(" epochs | load |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < results.size(); i++) {
            InProcessTraining.Result r = results.get(i);
            double ratio = denseBytes / r.pushBytesPerStep();
            String config = r.mode().label();
            csv.append(row("codec", config, "push_bytes_per_step", r.pushBytesPerStep(), loads.get(i)))
                    .append(row("codec", config, "pull_bytes_per_step", r.pullBytesPerStep(), loads.get(i)))
                    .append(row("codec", config, "push_ratio", ratio, loads.get(i)))
                    .append(row("codec", config, "test_accuracy", r.finalAccuracy(), loads.get(i)));
            md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f | %,.0f | %.1f | %s | %.4f | %.2f |%n", config,
                    r.pushBytesPerStep(), r.pullBytesPerStep(), r.pushBytesPerStep() + r.pullBytesPerStep(), ratio,
                    Double.isNaN(r.meanStaleness()) ? "-" : String.format(Locale.ROOT, "%.2f", r.meanStaleness()),
                    r.finalAccuracy(), loads.get(i)));
        }
        md.append(String.format(Locale.ROOT, "%n#### Time to %.2f test accuracy (same fits)%n%n", target))
                .append("Training seconds (rank 0's, scoring excluded) until the end of the first epoch whose test ")
                .append("accuracy reached the target; x allreduce = allreduce's time over this mode's.\n\n")
                .append("| mode | seconds to target | epochs to target | x allreduce | accuracy per epoch |\n")
                .append("|---|---|---|---|---|\n");
        double allreduceSeconds = results.get(0).secondsTo(target);
        for (int i = 0; i < 3; i++) {
            InProcessTraining.Result r = results.get(i);
            double seconds = r.secondsTo(target);
            long epochsTo = r.epochs().stream().filter(e -> e.testAccuracy() >= target).mapToInt(
                    InProcessTraining.EpochPoint::epoch).findFirst().orElse(-1);
            csv.append(row("time_to_target", r.mode().label(), "seconds_to_" + target, seconds, loads.get(i)));
            StringBuilder perEpoch = new StringBuilder();
            for (InProcessTraining.EpochPoint p : r.epochs()) {
                perEpoch.append(String.format(Locale.ROOT, "%s%.4f@%.0fs", perEpoch.length() > 0 ? ", " : "",
                        p.testAccuracy(), p.trainSeconds()));
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", r.mode().label(),
                    Double.isNaN(seconds) ? "not reached" : String.format(Locale.ROOT, "%.1f", seconds),
                    epochsTo < 0 ? "-" : Long.toString(epochsTo),
                    Double.isNaN(seconds) || Double.isNaN(allreduceSeconds) ? "-"
                            : String.format(Locale.ROOT, "%.2f", allreduceSeconds / seconds), perEpoch));
        }
        double loadEnd = LoadAverage.oneMinute();
        String header = String.format(Locale.ROOT, "Measured %s on %d cores, one-minute load average %.2f at the start "
                        + "and %.2f at the end. Command: `benchmarks/run.sh ps %s`.%n%n", started,
                Runtime.getRuntime().availableProcessors(), loadStart, loadEnd, String.join(" ", args));
        Files.createDirectories(out);
        Files.writeString(out.resolve("ps.csv"), csv.toString());
        Files.writeString(out.resolve("ps.md"), header + md);
        System.out.println();
        System.out.print(header + md);
        dev.sparkdl.bench.report.ReadmeSection.replace(dev.sparkdl.bench.report.ReadmeSection.README, "ps",
                header + md);
        System.exit(0);
    }

    /** @return median slowest-rank step ns, bytes per rank per step, messages per step over all shards. */
    private static double[] throughput(int worldSize, long floats, int warmup, int reps, int jitWarmup, LinkMedium transport)
            throws Exception {
        Path dir = Files.createTempDirectory("sparkdl-ps-rv-");
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        List<AllreduceBenchmark.Child> ranks = new ArrayList<>();
        long timeoutMs = TimeUnit.MINUTES.toMillis(5);
        try {
            for (int r = 0; r < worldSize; r++) {
                ranks.add(AllreduceBenchmark.Child.start("ps-rank" + r, PsRankMain.class,
                        List.of(AllreduceBenchmark.transportOption(transport)), List.of(dir.toString(),
                        Integer.toString(r), Integer.toString(worldSize), HexFormat.of().formatHex(secret),
                        Long.toString(floats), Integer.toString(warmup), Integer.toString(reps),
                        Long.toString(timeoutMs), Integer.toString(jitWarmup))));
            }
            long[] slowest = new long[reps];
            double bytes = 0;
            double messages = 0;
            for (AllreduceBenchmark.Child rank : ranks) {
                rank.awaitSuccess(timeoutMs + 10_000);
                for (String line : rank.lines) {
                    String[] f = line.split(" ");
                    switch (f[0]) {
                        case "TIME" -> slowest[Integer.parseInt(f[2])] = Math.max(slowest[Integer.parseInt(f[2])],
                                Long.parseLong(f[3]));
                        case "MEDIA" -> AllreduceBenchmark.requireLinkedOver(rank.name, line, transport);
                        case "BYTES" -> bytes += Long.parseLong(f[2]) / (double) worldSize;
                        case "FRAMES" -> messages += Long.parseLong(f[2]);
                        case "CHECK" -> {
                            if (!line.endsWith(" ok")) {
                                throw new IllegalStateException(rank.name + " ended with wrong parameters: " + line);
                            }
                        }
                        default -> {
                        }
                    }
                }
            }
            Arrays.sort(slowest);
            return new double[] {slowest[reps / 2], bytes, messages};
        } finally {
            ranks.forEach(AllreduceBenchmark.Child::kill);
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String row(String part, String config, String metric, double value, double load) {
        return String.format(Locale.ROOT, "%s,\"%s\",%s,%s,%.2f%n", part, config, metric, value, load);
    }

    /** "16M" = 16 x 2^20 floats, "64K" = 64 x 2^10, or a plain count. */
    private static long parseFloats(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        int shift = t.endsWith("M") ? 20 : t.endsWith("K") ? 10 : 0;
        return Long.parseLong(shift == 0 ? t : t.substring(0, t.length() - 1)) << shift;
    }

    private static String label(long floats) {
        return floats % (1 << 20) == 0 ? (floats >> 20) + "M" : Long.toString(floats);
    }
}
