package dev.sparkdl.bench.scaling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Fits {@link RingCostModel} to the measured allreduce runs ({@code benchmarks/results/allreduce.csv}:
 * every ranks x size point) and projects step time and scaling efficiency for 8 to 1024 workers on
 * 10, 25 and 100 Gbit/s links, for the Fashion-MNIST MLP, a ResNet-50-sized and a BERT-base-sized
 * gradient, next to Horovod's published 90% (ResNet-101 on 512 GPUs, 25 Gbit/s RoCE).
 *
 * <p>Two projections per link: "spark-dl as measured" keeps the fitted byte cost where it is slower
 * than the wire (today's software limit), "wire-bound" pays only the link. Efficiency is compute /
 * (compute + allreduce), i.e. no overlap of the exchange with the backward pass: the conservative case.
 * The compute times per step are inputs (flags), printed with the results.
 *
 * <p>Options: {@code --allreduce-csv benchmarks/results/allreduce.csv --mlp-step-ms (from
 * fashion-mnist-mlp.csv) --resnet50-step-ms 250 --bert-step-ms 200 --out benchmarks/results}.
 */
public final class ScalingProjection {
    private static final int[] WORKERS = {8, 16, 32, 64, 128, 256, 512, 1024};
    private static final double[] LINKS_GBIT = {10, 25, 100};
    private static final double HOROVOD_EFFICIENCY = 0.90;
    private static final int HOROVOD_GPUS = 512;

    /** A model's gradient size and its compute time per step on one worker. */
    record Workload(String name, long parameters, double stepSeconds, String stepSource) {
        long bytes() {
            return parameters * Float.BYTES;
        }
    }

    private ScalingProjection() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = parse(args);
        Path csv = Path.of(options.getOrDefault("allreduce-csv", "benchmarks/results/allreduce.csv"));
        Path out = Path.of(options.getOrDefault("out", "benchmarks/results"));
        List<RingCostModel.Measurement> points = readAllreduce(csv);
        RingCostModel model = RingCostModel.fit(points);

        double mlpStep = options.containsKey("mlp-step-ms") ? Double.parseDouble(options.get("mlp-step-ms")) / 1e3
                : mlpStepFromBenchmark(out.resolve("fashion-mnist-mlp.csv"));
        List<Workload> workloads = List.of(
                new Workload("Fashion-MNIST MLP 784-256-10", 784 * 256 + 256 + 256 * 10 + 10, mlpStep,
                        "measured here: batch 128 / best single-process DL4J samples/s"),
                new Workload("ResNet-50-sized (25.6M floats)", 25_600_000,
                        Double.parseDouble(options.getOrDefault("resnet50-step-ms", "250")) / 1e3,
                        "assumed: batch 64 per GPU at ~256 images/s (fp32, V100 class)"),
                new Workload("BERT-base-sized (110M floats)", 110_000_000,
                        Double.parseDouble(options.getOrDefault("bert-step-ms", "200")) / 1e3,
                        "assumed: batch 32 x 128 tokens per GPU (fp32, V100 class)"));

        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Ring allreduce cost model T(N, bytes) = 2(N-1) x alpha + 2(N-1)/N x bytes "
                        + "x beta, fitted to the %d measured points of `%s` (relative least squares).%n%n"
                        + "**alpha = %.3f ms per ring step, beta = %.3f ns per byte (%.3f GB/s per rank)**; RMS relative "
                        + "error of the fit %.1f%%.%n%n", points.size(), csv, model.alphaSeconds() * 1e3,
                model.betaSecondsPerByte() * 1e9, 1e-9 / model.betaSecondsPerByte(),
                100 * RingCostModel.relativeError(model, points)));
        md.append("| ranks | bytes | measured ms | model ms | error |\n|---|---|---|---|---|\n");
        for (RingCostModel.Measurement m : points) {
            double predicted = model.seconds(m.ranks(), m.bytes());
            md.append(String.format(Locale.ROOT, "| %d | %,d | %.1f | %.1f | %+.0f%% |%n", m.ranks(), m.bytes(),
                    m.seconds() * 1e3, predicted * 1e3, 100 * (predicted - m.seconds()) / m.seconds()));
        }
        md.append("\nCompute per step (one worker): ");
        for (Workload w : workloads) {
            md.append(String.format(Locale.ROOT, "%s %.1f ms (%s); ", w.name(), w.stepSeconds() * 1e3, w.stepSource()));
        }
        md.append("\n\nScaling efficiency = compute / (compute + allreduce), no overlap. Horovod reports "
                + "90% for ResNet-101 on 512 GPUs over 25 Gbit/s RoCE (Sergeev and Del Balso, 2018).\n\n");

        StringBuilder table = new StringBuilder("workload,link_gbit,projection,workers,allreduce_ms,step_ms,efficiency\n");
        md.append("| workload | link | projection |");
        for (int n : WORKERS) {
            md.append(' ').append(n).append(" |");
        }
        md.append("\n|---|---|---|").append("---|".repeat(WORKERS.length)).append('\n');
        Map<String, double[]> chartSeries = new LinkedHashMap<>();
        for (Workload w : workloads) {
            for (double gbit : LINKS_GBIT) {
                for (boolean wire : new boolean[] {false, true}) {
                    RingCostModel projected = wire ? model.wireBound(gbit * 1e9) : model.onLink(gbit * 1e9);
                    String projection = wire ? "wire-bound" : "spark-dl as measured";
                    md.append(String.format(Locale.ROOT, "| %s | %.0f Gbit/s | %s |", w.name(), gbit, projection));
                    double[] efficiencies = new double[WORKERS.length];
                    for (int i = 0; i < WORKERS.length; i++) {
                        double allreduce = projected.seconds(WORKERS[i], w.bytes());
                        double step = w.stepSeconds() + allreduce;
                        efficiencies[i] = w.stepSeconds() / step;
                        md.append(String.format(Locale.ROOT, " %.0f%% (%.0f ms) |", 100 * efficiencies[i], step * 1e3));
                        table.append(String.format(Locale.ROOT, "\"%s\",%.0f,%s,%d,%.3f,%.3f,%.4f%n", w.name(), gbit,
                                projection, WORKERS[i], allreduce * 1e3, step * 1e3, efficiencies[i]));
                    }
                    md.append('\n');
                    if (gbit == 25) {
                        chartSeries.put(w.name() + ", 25 Gbit/s, " + projection, efficiencies);
                    }
                }
            }
        }
        md.append("\nCells: efficiency (step time). ![efficiency](scaling-efficiency.png) ![fit](scaling-fit.png)\n");

        Files.createDirectories(out);
        Files.writeString(out.resolve("scaling.md"), md);
        Files.writeString(out.resolve("scaling.csv"), table);
        writeEfficiencyChart(chartSeries, out.resolve("scaling-efficiency.png"));
        writeFitChart(model, points, out.resolve("scaling-fit.png"));
        System.out.print(md);
        System.out.printf("wrote %s/scaling.{md,csv} and scaling-{efficiency,fit}.png%n", out);
    }

    private static void writeEfficiencyChart(Map<String, double[]> series, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(1100).height(620)
                .title("Projected scaling efficiency, 25 Gbit/s links (ring allreduce, no overlap)")
                .xAxisTitle("workers").yAxisTitle("efficiency").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        double[] x = Arrays.stream(WORKERS).asDoubleStream().toArray();
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            chart.addSeries(e.getKey(), x, e.getValue());
        }
        XYSeries horovod = chart.addSeries("Horovod, ResNet-101, 512 GPUs (published)",
                new double[] {HOROVOD_GPUS}, new double[] {HOROVOD_EFFICIENCY});
        horovod.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        horovod.setMarker(SeriesMarkers.DIAMOND);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void writeFitChart(RingCostModel model, List<RingCostModel.Measurement> points, Path png)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title(String.format(Locale.ROOT, "Allreduce model fit: alpha %.2f ms, beta %.2f ns/byte",
                        model.alphaSeconds() * 1e3, model.betaSecondsPerByte() * 1e9))
                .xAxisTitle("bytes").yAxisTitle("ms").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        Map<Integer, List<RingCostModel.Measurement>> byRanks = new LinkedHashMap<>();
        for (RingCostModel.Measurement m : points) {
            byRanks.computeIfAbsent(m.ranks(), k -> new ArrayList<>()).add(m);
        }
        for (Map.Entry<Integer, List<RingCostModel.Measurement>> e : byRanks.entrySet()) {
            List<RingCostModel.Measurement> ms = e.getValue();
            double[] x = ms.stream().mapToDouble(RingCostModel.Measurement::bytes).toArray();
            XYSeries measured = chart.addSeries(e.getKey() + " ranks, measured", x,
                    ms.stream().mapToDouble(m -> m.seconds() * 1e3).toArray());
            measured.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            chart.addSeries(e.getKey() + " ranks, model", x,
                    ms.stream().mapToDouble(m -> model.seconds(m.ranks(), m.bytes()) * 1e3).toArray());
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Columns {@code ranks}, {@code bytes}, {@code allreduce_ms} of the allreduce benchmark's CSV, UDP rows
     * only where it has a {@code ring_links} column: the projection is for ranks on different hosts.
     */
    static List<RingCostModel.Measurement> readAllreduce(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = Arrays.asList(lines.get(0).split(","));
        int ranks = column(header, "ranks", csv);
        int bytes = column(header, "bytes", csv);
        int ms = column(header, "allreduce_ms", csv);
        int links = header.indexOf("ring_links");
        List<RingCostModel.Measurement> points = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",");
            if (links >= 0 && !"udp".equals(cells[links].trim())) {
                continue;
            }
            points.add(new RingCostModel.Measurement(Integer.parseInt(cells[ranks].trim()),
                    Long.parseLong(cells[bytes].trim()), Double.parseDouble(cells[ms].trim()) / 1e3));
        }
        return points;
    }

    private static int column(List<String> header, String name, Path csv) {
        int index = header.indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException(csv + " has no column '" + name + "' (columns: " + header + ")");
        }
        return index;
    }

    /** 128 samples at the best single-process DL4J training-loop rate in the end-to-end results. */
    private static double mlpStepFromBenchmark(Path csv) throws IOException {
        if (!Files.exists(csv)) {
            throw new IllegalArgumentException(csv + " not found: run benchmarks/run.sh fashion-mnist first, or pass "
                    + "--mlp-step-ms");
        }
        List<String> lines = Files.readAllLines(csv);
        List<String> header = Arrays.asList(lines.get(0).split(","));
        int rate = column(header, "loop_samples_per_s", csv);
        double best = 0;
        for (String line : lines.subList(1, lines.size())) {
            // The name column is quoted and holds a comma: split after it.
            String[] cells = line.substring(line.indexOf("\",") + 2).split(",");
            if (line.startsWith("\"DL4J single process") && cells.length > rate - 1) {
                best = Math.max(best, Double.parseDouble(cells[rate - 1]));
            }
        }
        if (best <= 0) {
            throw new IllegalArgumentException(csv + " has no single-process DL4J row: pass --mlp-step-ms");
        }
        return 128 / best;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("usage: benchmarks/run.sh scaling [--allreduce-csv FILE] [--mlp-step-ms MS] "
                        + "[--resnet50-step-ms MS] [--bert-step-ms MS] [--out DIR]");
                System.exit(2);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }
}
