package dev.sparkdl.ps;

/**
 * The owner's replies to one worker; implemented over Aeron by {@link ShardServerProxy}. Methods never
 * block: they return a positive value when the message went out, else Aeron's negative publication code.
 */
public interface ShardResponder
{
    /** Send {@code params[first, first + count)} of the shard as of {@code clock} applied clocks. */
    long offerParams(int worker, int shard, long clock, float[] params, int first, int count, int rows,
        double lossSum, int epoch);

    /** Tell a waiting worker where the shard's clock stands and whom it waits for. */
    long offerStatus(int worker, int shard, long clock, int laggard, long laggardClock, int rejected,
        int rejectedFrom);
}
