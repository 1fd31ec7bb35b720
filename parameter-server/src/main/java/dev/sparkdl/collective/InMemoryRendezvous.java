package dev.sparkdl.collective;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Rendezvous} for ranks that are threads of one JVM: each rank takes its view with
 * {@link #forRank(int)}; a gather completes when all have called. Reusable for any number of rounds;
 * waits honour a deadline and interruption.
 */
public final class InMemoryRendezvous
{
    private final int worldSize;
    private final long timeoutNs;
    private final String[] slots;
    private int arrived;
    private long generation;
    private String[] result;

    /**
     * @param worldSize number of ranks.
     * @param timeoutNs longest a rank waits for the others in one gather.
     */
    public InMemoryRendezvous(final int worldSize, final long timeoutNs)
    {
        if (worldSize < 1 || timeoutNs <= 0)
        {
            throw new IllegalArgumentException("worldSize=" + worldSize + " timeoutNs=" + timeoutNs);
        }
        this.worldSize = worldSize;
        this.timeoutNs = timeoutNs;
        this.slots = new String[worldSize];
    }

    /**
     * @param rank 0 .. worldSize - 1.
     * @return that rank's view.
     */
    public Rendezvous forRank(final int rank)
    {
        if (rank < 0 || rank >= worldSize)
        {
            throw new IllegalArgumentException("rank " + rank + " not in [0, " + worldSize + ")");
        }
        return localInfo -> gather(rank, localInfo);
    }

    private synchronized String[] gather(final int rank, final String localInfo)
    {
        if (null != slots[rank])
        {
            throw new IllegalStateException("rank " + rank + " is already waiting in this rendezvous");
        }
        final long myGeneration = generation;
        slots[rank] = localInfo;
        if (++arrived == worldSize)
        {
            result = slots.clone();
            java.util.Arrays.fill(slots, null);
            arrived = 0;
            generation++;
            notifyAll();
            return result.clone();
        }

        final long deadlineNs = System.nanoTime() + timeoutNs;
        while (generation == myGeneration)
        {
            final long remainingNs = deadlineNs - System.nanoTime();
            if (remainingNs <= 0)
            {
                final List<Integer> missing = missingRanks();
                withdraw(rank);
                throw new CollectiveException(CollectiveException.Reason.RENDEZVOUS,
                    missing.size() == 1 ? missing.get(0) : CollectiveException.NO_RANK, null,
                    "rank " + rank + " waited " + timeoutNs / 1_000_000 + " ms in the rendezvous for ranks " + missing);
            }
            try
            {
                wait(remainingNs / 1_000_000, (int)(remainingNs % 1_000_000));
            }
            catch (final InterruptedException ex)
            {
                withdraw(rank);
                Thread.currentThread().interrupt();
                throw new CollectiveException(CollectiveException.Reason.INTERRUPTED, rank, null,
                    "rank " + rank + " interrupted in the rendezvous", ex);
            }
        }
        return result.clone();
    }

    private void withdraw(final int rank)
    {
        slots[rank] = null;
        arrived--;
    }

    private List<Integer> missingRanks()
    {
        final List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < worldSize; i++)
        {
            if (null == slots[i])
            {
                missing.add(i);
            }
        }
        return missing;
    }
}
