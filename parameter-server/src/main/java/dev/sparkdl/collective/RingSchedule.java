package dev.sparkdl.collective;

/**
 * Which segment and chunk a rank sends and receives at each step of a ring allreduce, for one buffer.
 *
 * <p>The buffer is cut into {@code worldSize} segments whose lengths differ by at most one element,
 * and each segment into chunks of at most {@code chunkElements} (at least one chunk, possibly empty, so
 * every step exchanges a message and a mismatched call is caught). At global step g in
 * [0, 2 * worldSize - 2) rank r sends segment (r - g) mod N and receives segment (r - g - 1) mod N;
 * steps below N - 1 reduce what they receive (reduce-scatter), the rest copy it (all-gather). The
 * segment received at step g is the one sent at step g + 1, so chunk c may be forwarded as soon as it
 * has been received: that is the pipeline. Each final segment is reduced on exactly one rank in a fixed
 * order and then copied unchanged, so every rank ends bit-identical.
 */
final class RingSchedule
{
    private final int rank;
    private final int worldSize;
    private long elementCount;
    private int chunkElements;
    private final int[] recvOffsets;
    private int transfers;

    RingSchedule(final int rank, final int worldSize)
    {
        this.rank = rank;
        this.worldSize = worldSize;
        this.recvOffsets = new int[Math.max(1, 2 * worldSize - 2) + 1];
    }

    /** Lay out a new buffer. */
    void reset(final long elementCount, final int chunkElements)
    {
        this.elementCount = elementCount;
        this.chunkElements = chunkElements;
        int sum = 0;
        for (int g = 0; g < steps(); g++)
        {
            recvOffsets[g] = sum;
            sum += chunkCount(recvSegment(g));
        }
        recvOffsets[steps()] = sum;
        transfers = sum;
    }

    int steps()
    {
        return 2 * worldSize - 2;
    }

    /** @return chunks sent (equal to chunks received) in the whole operation. */
    int transfers()
    {
        return transfers;
    }

    long elementCount()
    {
        return elementCount;
    }

    int sendSegment(final int step)
    {
        return Math.floorMod(rank - step, worldSize);
    }

    int recvSegment(final int step)
    {
        return Math.floorMod(rank - step - 1, worldSize);
    }

    boolean isReduceStep(final int step)
    {
        return step < worldSize - 1;
    }

    /** @return linear index, among all receives, of chunk {@code chunk} of step {@code step}. */
    int recvIndex(final int step, final int chunk)
    {
        return recvOffsets[step] + chunk;
    }

    long segmentStart(final int segment)
    {
        final long base = elementCount / worldSize;
        final long remainder = elementCount % worldSize;
        return segment * base + Math.min(segment, remainder);
    }

    long segmentLength(final int segment)
    {
        final long base = elementCount / worldSize;
        return base + (segment < elementCount % worldSize ? 1 : 0);
    }

    int chunkCount(final int segment)
    {
        final long length = segmentLength(segment);
        return (int)Math.max(1, (length + chunkElements - 1) / chunkElements);
    }

    /** @return a slot number unique to (segment, chunk), below {@link #chunkSlots()}. */
    int chunkSlot(final int segment, final int chunk)
    {
        // Segment 0 is never shorter than the others, so it has the most chunks.
        return segment * chunkCount(0) + chunk;
    }

    int chunkSlots()
    {
        return worldSize * chunkCount(0);
    }

    long chunkStart(final int segment, final int chunk)
    {
        return segmentStart(segment) + (long)chunk * chunkElements;
    }

    int chunkLength(final int segment, final int chunk)
    {
        final long remaining = segmentLength(segment) - (long)chunk * chunkElements;
        return (int)Math.max(0, Math.min(chunkElements, remaining));
    }
}
