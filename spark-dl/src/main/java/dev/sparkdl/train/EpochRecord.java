package dev.sparkdl.train;

import java.io.Serializable;

/** One line of the training history, as every rank sees it after the epoch's last exchange. */
public record EpochRecord(int epoch, long step, double trainLoss, long samples, double seconds,
                          double exchangeSeconds) implements Serializable {

    public double samplesPerSecond() {
        return seconds > 0 ? samples / seconds : 0;
    }
}
