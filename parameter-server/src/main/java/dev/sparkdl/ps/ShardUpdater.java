package dev.sparkdl.ps;

/** Applies one clock's summed gradient to a shard's parameters: the owner's optimizer step. */
public interface ShardUpdater
{
    /**
     * @param gradientSum the shard's gradient summed over all workers of the clock (raw sums over rows);
     *                    may be overwritten.
     * @param rows        rows behind the sum, over all workers (the batch size the updater divides by), > 0.
     * @param epoch       the epoch the workers were in.
     * @param updates     updates applied before this one (DL4J's iteration offset; clocks without rows apply none).
     * @param params      the shard's parameters, updated in place.
     */
    void apply(float[] gradientSum, int rows, int epoch, long updates, float[] params);

    /** @return a copy of the optimizer's state for the shard (for checkpoints); empty for a stateless one. */
    default float[] state()
    {
        return new float[0];
    }
}
