package dev.sparkdl.train;

import java.util.List;

/** Where rank 0 writes checkpoints, and how often. */
public interface CheckpointSink {

    /** Steps between mid-epoch checkpoints; 0 means only at the end of every epoch. */
    int intervalSteps();

    /**
     * Saves the network's parameters and updater state with where training stands: {@code epochsDone}
     * whole epochs plus {@code stepInEpoch} steps of the next, {@code globalStep} steps in all.
     */
    void save(int epochsDone, int stepInEpoch, long globalStep, NetworkAdapter network, List<EpochRecord> history);
}
