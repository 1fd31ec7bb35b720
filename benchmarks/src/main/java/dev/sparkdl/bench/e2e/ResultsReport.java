package dev.sparkdl.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The outputs of one run: a console table, {@code <name>.csv}, {@code <name>.json}, a Markdown
 * table, and the section of {@code benchmarks/README.md} between the result markers. Every ratio is
 * against the best single-process DL4J figure of the same run.
 */
final class ResultsReport {

    private final RunEnvironment environment;
    private final List<RunResult> results;
    private final RunResult baseline;

    ResultsReport(RunEnvironment environment, List<RunResult> results) {
        this.environment = environment;
        this.results = List.copyOf(results);
        this.baseline = bestSingleProcess(results).orElse(null);
    }

    /** The single-process DL4J run with the highest training-loop throughput. */
    static Optional<RunResult> bestSingleProcess(List<RunResult> results) {
        return results.stream().filter(r -> r.ok() && "dl4j".equals(r.system()))
                .max((a, b) -> Double.compare(a.loopSamplesPerSecond(), b.loopSamplesPerSecond()));
    }

    RunResult baseline() {
        return baseline;
    }

    double loopRatio(RunResult r) {
        return r.ok() && baseline != null ? r.loopSamplesPerSecond() / baseline.loopSamplesPerSecond() : Double.NaN;
    }

    double fitRatio(RunResult r) {
        return r.ok() && baseline != null ? r.fitSamplesPerSecond() / baseline.fitSamplesPerSecond() : Double.NaN;
    }

    String consoleTable() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-52s %10s %7s %10s %7s %8s %8s %9s  %s%n", "config", "loop sps",
                "x best", "fit sps", "x best", "test acc", "exch s", "load avg", "status"));
        for (RunResult r : results) {
            if (!r.ok()) {
                out.append(String.format(Locale.ROOT, "%-52s %10s %7s %10s %7s %8s %8s %9s  %s: %s%n",
                        r.name(), "-", "-", "-", "-", "-", "-", "-", r.status(), r.note()));
                continue;
            }
            out.append(String.format(Locale.ROOT, "%-52s %,10.0f %7.2f %,10.0f %7.2f %8.4f %8.2f %4.2f/%4.2f  ok%n",
                    r.name(), r.loopSamplesPerSecond(), loopRatio(r), r.fitSamplesPerSecond(), fitRatio(r),
                    r.testAccuracy(), r.exchangeSeconds(), r.loadAverageBefore(), r.loadAverageAfter()));
        }
        return out.toString();
    }

    void writeCsv(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("name,system,mode,workers,native_threads,status,epochs,samples,loop_seconds,fit_seconds,"
                + "exchange_seconds,loop_samples_per_s,fit_samples_per_s,loop_ratio_vs_best_dl4j,"
                + "fit_ratio_vs_best_dl4j,final_train_loss,test_accuracy,load_avg_before,load_avg_after,note");
        for (RunResult r : results) {
            lines.add(String.join(",", csv(r.name()), r.system(), r.mode(), Integer.toString(r.workers()),
                    Integer.toString(r.nativeThreads()), r.status(), Integer.toString(r.epochs()),
                    Long.toString(r.samples()), num(r.loopSeconds()), num(r.fitSeconds()),
                    num(r.exchangeSeconds()), num(r.loopSamplesPerSecond()), num(r.fitSamplesPerSecond()),
                    num(loopRatio(r)), num(fitRatio(r)), num(r.finalTrainLoss()), num(r.testAccuracy()),
                    num(r.loadAverageBefore()), num(r.loadAverageAfter()), csv(r.note())));
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("environment", environment);
        document.put("baseline", baseline == null ? null : baseline.name());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (RunResult r : results) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("result", r);
            row.put("loopRatioVsBestDl4j", finiteOrNull(loopRatio(r)));
            row.put("fitRatioVsBestDl4j", finiteOrNull(fitRatio(r)));
            rows.add(row);
        }
        document.put("results", rows);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), document);
    }

    String markdown(String chartFile) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Measured %s on %d cores (%s), one-minute load average %.2f at the "
                        + "start; Spark `%s`; %d epochs, global batch %d, %,d training and %,d test images; %s.%n%n",
                environment.startedAt(), environment.cores(), environment.cpuModel(), environment.loadAverageAtStart(),
                environment.master(), environment.epochs(), environment.batchSize(), environment.trainRows(),
                environment.testRows(), environment.network()));
        md.append("| configuration | threads/rank | training loop samples/s | x best DL4J | whole fit samples/s "
                + "| x best DL4J | test accuracy | final train loss | exchange s | load avg before/after |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (RunResult r : results) {
            if (!r.ok()) {
                md.append(String.format(Locale.ROOT, "| %s | - | %s: %s | | | | | | | |%n", r.name(), r.status(),
                        r.note().replace("|", "\\|")));
                continue;
            }
            md.append(String.format(Locale.ROOT,
                    "| %s | %s | %,.0f | %.2f | %,.0f | %.2f | %.4f | %.4f | %.2f | %.2f / %.2f |%n", r.name(),
                    r.nativeThreads() > 0 ? Integer.toString(r.nativeThreads()) : "library",
                    r.loopSamplesPerSecond(), loopRatio(r), r.fitSamplesPerSecond(), fitRatio(r), r.testAccuracy(),
                    r.finalTrainLoss(), r.exchangeSeconds(), r.loadAverageBefore(), r.loadAverageAfter()));
        }
        if (baseline != null) {
            md.append(String.format(Locale.ROOT, "%nBaseline for the ratios: **%s** (%,.0f samples/s in the training "
                    + "loop).%n", baseline.name(), baseline.loopSamplesPerSecond()));
        }
        md.append(String.format("%n![samples/s per configuration](%s)%n", chartFile));
        return md.toString();
    }

    /** Replaces this result's section of the README (one per {@code resultName}: the MLP and CNN keep their own). */
    void updateReadme(Path readme, String chartFile, String resultName) throws IOException {
        String section = "fashion-mnist-mlp".equals(resultName) ? "fashion-mnist" : resultName;
        dev.sparkdl.bench.report.ReadmeSection.replace(readme, section, markdown(chartFile));
    }

    private static Object finiteOrNull(double value) {
        return Double.isFinite(value) ? value : null;
    }

    private static String num(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.6g", value) : "";
    }

    private static String csv(String text) {
        return "\"" + text.replace("\"", "\"\"") + "\"";
    }
}
