package dev.sparkdl.train;

/**
 * How the replicas of one fit turn their local gradients into this step's update. The worker loop
 * calls {@link #step} once per step on every rank, in the same order, after local backprop; when it
 * returns, the replica's parameters hold the step's result. Implementations block until the ranks
 * they need have contributed, within a deadline, and throw (naming the peer) rather than wait forever.
 */
public interface GradientExchange extends AutoCloseable {

    /** Index of {@code stepStats} holding the rows behind the gradient; summed over ranks where the mode can. */
    int STAT_ROWS = 0;
    /** Index of {@code stepStats} holding the loss times the rows. */
    int STAT_LOSS_SUM = 1;

    int rank();

    int workers();

    /**
     * Combines this rank's gradient ({@code network.flatGradient()}, a SUM over its rows) with the
     * other ranks' and updates {@code network}'s parameters. {@code stepStats} holds this rank's
     * rows and loss sum on entry and, for synchronous modes, the sums over all ranks on return.
     */
    void step(NetworkAdapter network, double[] stepStats) throws InterruptedException;

    /** Sums small statistics (e.g. validation sums) over all ranks, in place. */
    default void sumStats(double[] stats) throws InterruptedException {
        if (workers() > 1) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot sum statistics");
        }
    }

    /**
     * How many clocks the parameters this rank got at its last step lag behind its own clock, i.e. how far it
     * runs ahead of the slowest rank; NaN for a synchronous mode, where there is no such lag.
     */
    default double staleness() {
        return Double.NaN;
    }

    /** The parameters and updater state a checkpoint saves. */
    record TrainingState(org.nd4j.linalg.api.ndarray.INDArray params, org.nd4j.linalg.api.ndarray.INDArray updaterState) {
    }

    /**
     * The state to checkpoint after this step. A synchronous mode's replica holds it all; where it does not
     * (the parameter server keeps the optimizer state on the shard owners) this is collective: every rank
     * calls it after the same step.
     */
    default TrainingState checkpointState(NetworkAdapter network) throws InterruptedException {
        return new TrainingState(network.params(), network.updaterState());
    }

    /** Payload bytes this rank has sent so far. */
    default long bytesSent() {
        return 0;
    }

    /** Leaves the exchange because this rank failed, so its peers fail at once naming it and why. */
    default void abort(String why) {
        close();
    }

    @Override
    void close();
}
