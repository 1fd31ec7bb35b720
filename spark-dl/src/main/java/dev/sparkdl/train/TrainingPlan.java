package dev.sparkdl.train;

import java.io.Serializable;

/**
 * What every rank of one fit agrees on before the first step. {@code stepsPerEpoch} is fixed by
 * the driver from the global row count, so ranks with uneven partitions still take part in every
 * synchronous step.
 */
public record TrainingPlan(int epochs, int globalBatchSize, int stepsPerEpoch, long seed, boolean shuffle,
                           int earlyStoppingPatience) implements Serializable {

    public TrainingPlan {
        if (epochs < 1 || globalBatchSize < 1 || stepsPerEpoch < 1) {
            throw new IllegalArgumentException("epochs, globalBatchSize and stepsPerEpoch must be >= 1: "
                    + epochs + ", " + globalBatchSize + ", " + stepsPerEpoch);
        }
    }

    /** A plan without early stopping. */
    public TrainingPlan(int epochs, int globalBatchSize, int stepsPerEpoch, long seed, boolean shuffle) {
        this(epochs, globalBatchSize, stepsPerEpoch, seed, shuffle, 0);
    }

    public static TrainingPlan forRows(long totalRows, int epochs, int globalBatchSize, long seed,
                                       boolean shuffle, int earlyStoppingPatience) {
        long steps = Math.max(1, (totalRows + globalBatchSize - 1) / globalBatchSize);
        return new TrainingPlan(epochs, globalBatchSize, Math.toIntExact(steps), seed, shuffle, earlyStoppingPatience);
    }
}
