package dev.sparkdl.train;

import java.io.Serializable;

/**
 * One line of the training history, identical on every rank after the epoch's last exchange.
 * Validation figures are NaN when the fit has no validation rows; the validation metric is the
 * accuracy for a classifier and the RMSE for a regressor. {@code staleness} is the parameter server's
 * mean, over the epoch's steps of every rank, of how many clocks a rank's pulled parameters lagged
 * behind its own clock (NaN in synchronous modes).
 */
public record EpochRecord(int epoch, long step, double trainLoss, long samples, double seconds,
                          double exchangeSeconds, double validationLoss, double validationMetric,
                          long bytesExchanged, double staleness) implements Serializable {

    /** A record of a synchronous epoch (no staleness). */
    public EpochRecord(int epoch, long step, double trainLoss, long samples, double seconds, double exchangeSeconds,
                       double validationLoss, double validationMetric, long bytesExchanged) {
        this(epoch, step, trainLoss, samples, seconds, exchangeSeconds, validationLoss, validationMetric,
                bytesExchanged, Double.NaN);
    }

    /** A record of an epoch without validation or exchange accounting. */
    public EpochRecord(int epoch, long step, double trainLoss, long samples, double seconds, double exchangeSeconds) {
        this(epoch, step, trainLoss, samples, seconds, exchangeSeconds, Double.NaN, Double.NaN, 0, Double.NaN);
    }

    public double samplesPerSecond() {
        return seconds > 0 ? samples / seconds : 0;
    }

    public boolean hasValidation() {
        return !Double.isNaN(validationMetric);
    }
}
