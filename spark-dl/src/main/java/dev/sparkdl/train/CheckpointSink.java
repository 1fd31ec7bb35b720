package dev.sparkdl.train;

import java.util.List;

/** Where rank 0 writes checkpoints, and how often. */
public interface CheckpointSink {

    /** Steps between mid-epoch checkpoints; 0 means only at the end of every epoch. */
    int intervalSteps();

    /**
     * Saves the parameters and updater state with where training stands: {@code epochsDone} whole epochs
     * plus {@code stepInEpoch} steps of the next, {@code globalStep} steps in all, {@code iteration} DL4J's
     * iteration count.
     */
    void save(int epochsDone, int stepInEpoch, long globalStep, int iteration, GradientExchange.TrainingState state,
              List<EpochRecord> history);
}
