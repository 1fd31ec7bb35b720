package dev.sparkdl.ps;

import java.util.Arrays;

/**
 * How the flattened parameter vector is cut into contiguous shards, one per rank. Cuts are chosen among
 * allowed boundaries (where DL4J's updater may be applied piecewise) as close as possible to equal
 * shares; with fewer boundaries than ranks some shards are empty.
 */
public final class ShardLayout
{
    private final long[] starts;

    private ShardLayout(final long[] starts)
    {
        this.starts = starts;
    }

    /**
     * @param totalLength length of the whole vector.
     * @param boundaries  allowed cut positions in (0, totalLength); others are ignored.
     * @param shards      number of shards, at least 1.
     * @return the layout.
     */
    public static ShardLayout balanced(final long totalLength, final long[] boundaries, final int shards)
    {
        if (shards < 1 || totalLength < 0)
        {
            throw new IllegalArgumentException("shards=" + shards + " totalLength=" + totalLength);
        }
        final long[] cuts = Arrays.stream(boundaries).filter(b -> b > 0 && b < totalLength).sorted().distinct()
            .toArray();
        final long[] starts = new long[shards + 1];
        starts[shards] = totalLength;
        long previous = 0;
        for (int i = 1; i < shards; i++)
        {
            final long target = totalLength * i / shards;
            long best = previous;
            for (final long cut : cuts)
            {
                if (cut >= previous && Math.abs(cut - target) < Math.abs(best - target))
                {
                    best = cut;
                }
            }
            starts[i] = best;
            previous = best;
        }
        return new ShardLayout(starts);
    }

    /** @return equal shares, cut anywhere (for updaters that are elementwise everywhere). */
    public static ShardLayout even(final long totalLength, final int shards)
    {
        final long[] starts = new long[shards + 1];
        for (int i = 0; i <= shards; i++)
        {
            starts[i] = totalLength * i / shards;
        }
        return of(starts);
    }

    /** @return the layout with these shard start offsets (and the total as the last entry). */
    public static ShardLayout of(final long... startsAndTotal)
    {
        for (int i = 1; i < startsAndTotal.length; i++)
        {
            if (startsAndTotal[i] < startsAndTotal[i - 1])
            {
                throw new IllegalArgumentException("shard starts must not decrease: " + Arrays.toString(startsAndTotal));
            }
        }
        if (startsAndTotal.length < 2 || startsAndTotal[0] != 0)
        {
            throw new IllegalArgumentException("need 0, ..., total: " + Arrays.toString(startsAndTotal));
        }
        return new ShardLayout(startsAndTotal.clone());
    }

    public int shards()
    {
        return starts.length - 1;
    }

    public long totalLength()
    {
        return starts[starts.length - 1];
    }

    public long from(final int shard)
    {
        return starts[shard];
    }

    public long to(final int shard)
    {
        return starts[shard + 1];
    }

    public int length(final int shard)
    {
        return Math.toIntExact(starts[shard + 1] - starts[shard]);
    }

    /** @return the largest shard's length. */
    public int maxLength()
    {
        int max = 0;
        for (int i = 0; i < shards(); i++)
        {
            max = Math.max(max, length(i));
        }
        return max;
    }

    public String toString()
    {
        return "ShardLayout" + Arrays.toString(starts);
    }
}
