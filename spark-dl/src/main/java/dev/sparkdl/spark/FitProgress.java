package dev.sparkdl.spark;

import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's view of a running fit: one line per epoch and a live line within long epochs, with
 * throughput, elapsed time and ETA, on the logger {@value #LOGGER}. Set that logger to WARN to
 * silence it.
 */
final class FitProgress implements Consumer<ProgressEvent> {
    static final String LOGGER = "dev.sparkdl.progress";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private final int epochs;
    private final TrainingMetrics metrics;
    private final EpochMarks marks;
    private final long startNs = System.nanoTime();
    private volatile int epochsDone;

    FitProgress(int epochs, TrainingMetrics metrics) {
        this(epochs, metrics, null);
    }

    /** @param marks where finished epochs are listed in the Spark UI, or null */
    FitProgress(int epochs, TrainingMetrics metrics, EpochMarks marks) {
        this.epochs = epochs;
        this.metrics = metrics;
        this.marks = marks;
        if (metrics != null) {
            metrics.fitStarted();
        }
    }

    int epochsDone() {
        return epochsDone;
    }

    @Override
    public void accept(ProgressEvent event) {
        if (metrics != null) {
            metrics.record(event);
        }
        double elapsed = (System.nanoTime() - startNs) / 1e9;
        double done = event.epochEnd() ? event.epoch()
                : event.epoch() - 1 + (double) event.step() / Math.max(1, event.stepsPerEpoch());
        double eta = done > 0 ? elapsed * (epochs - done) / done : Double.NaN;
        if (event.epochEnd()) {
            epochsDone = event.epoch();
            LOG.info(String.format("spark-dl epoch %d/%d  step %d  loss %.4f  %,.0f samples/s  elapsed %s  ETA %s%s",
                    event.epoch(), epochs, event.step(), event.loss(), event.samplesPerSecond(), clock(elapsed),
                    clock(eta), Double.isNaN(event.staleness()) ? ""
                            : String.format("  staleness %.2f", event.staleness())));
            if (marks != null) {
                marks.epochDone(event.epoch(), epochs, String.format("loss %.4f, %,.0f samples/s", event.loss(),
                        event.samplesPerSecond()));
            }
        } else {
            LOG.info(String.format("spark-dl epoch %d/%d  step %d/%d  loss %.4f  %,.0f samples/s  elapsed %s  ETA %s",
                    event.epoch(), epochs, event.step(), event.stepsPerEpoch(), event.loss(), event.samplesPerSecond(),
                    clock(elapsed), clock(eta)));
        }
    }

    static String clock(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
