package dev.sparkdl.bench.e2e;

/**
 * One benchmark configuration's outcome. Throughput comes in two figures:
 * {@code loopSamplesPerSecond} counts only the epochs' training loops (what DL4J's {@code fit} and
 * spark-dl's epoch records time), {@code fitSamplesPerSecond} the whole call the user waits for
 * (for spark-dl: row validation, Arrow conversion and spill, barrier stage start, result collection).
 *
 * @param name            short configuration label, e.g. {@code spark-dl allreduce x2}
 * @param system          {@code dl4j} or {@code spark-dl}
 * @param mode            {@code single-process}, {@code allreduce} or {@code parameter-server}
 * @param workers         training ranks (1 for single-process DL4J)
 * @param nativeThreads   ND4J/OpenBLAS threads per rank; 0 when the library chose them
 * @param status          {@code ok}, {@code skipped} (not available yet) or {@code failed}
 * @param note            why a configuration was skipped or failed, or a remark on how it ran
 */
public record RunResult(String name, String system, String mode, int workers, int nativeThreads, String status,
                        String note, int epochs, long samples, double loopSeconds, double fitSeconds,
                        double exchangeSeconds, double loopSamplesPerSecond, double fitSamplesPerSecond,
                        double finalTrainLoss, double testAccuracy, double loadAverageBefore,
                        double loadAverageAfter) {

    public static final String OK = "ok";
    public static final String SKIPPED = "skipped";
    public static final String FAILED = "failed";

    static RunResult skipped(String name, String system, String mode, int workers, String reason) {
        return notRun(SKIPPED, name, system, mode, workers, reason);
    }

    static RunResult failed(String name, String system, String mode, int workers, Throwable error) {
        Throwable root = error;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return notRun(FAILED, name, system, mode, workers, root.getClass().getSimpleName() + ": " + root.getMessage());
    }

    private static RunResult notRun(String status, String name, String system, String mode, int workers,
                                    String reason) {
        return new RunResult(name, system, mode, workers, 0, status, reason, 0, 0, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, LoadAverage.oneMinute(),
                LoadAverage.oneMinute());
    }

    RunResult withNote(String text) {
        return new RunResult(name, system, mode, workers, nativeThreads, status, text, epochs, samples, loopSeconds,
                fitSeconds, exchangeSeconds, loopSamplesPerSecond, fitSamplesPerSecond, finalTrainLoss, testAccuracy,
                loadAverageBefore, loadAverageAfter);
    }

    public boolean ok() {
        return OK.equals(status);
    }
}
