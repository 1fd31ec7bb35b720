package dev.sparkdl.collective;

/**
 * Which segment and chunk a rank sends and receives at each step of a ring allreduce, for one buffer,
 * and in which order the chunks of all steps go out.
 *
 * <p>The buffer is cut into {@code worldSize} segments whose lengths differ by at most one element,
 * and each segment into chunks of at most {@code chunkElements} (at least one chunk, possibly empty, so
 * every step exchanges a message and a mismatched call is caught). At global step g in
 * [0, 2 * worldSize - 2) rank r sends segment (r - g) mod N and receives segment (r - g - 1) mod N;
 * steps below N - 1 reduce what they receive (reduce-scatter), the rest copy it (all-gather). The
 * segment received at step g is the one sent at step g + 1, so chunk c of step g + 1 may go out as soon
 * as chunk c of step g has arrived. Each final segment is reduced on exactly one rank in a fixed order
 * and then copied unchanged, so every rank ends bit-identical.
 *
 * <p>Transfer order: chunk c of step g goes out in wave c + g * {@link #WAVE_LAG}, and within a wave by
 * step. Steps overlap instead of running one after another, so a chunk is reduced, forwarded and
 * copied back while it is still in the cache: done step by step, the all-gather read the reduced
 * segment and wrote the gathered ones after the whole reduce-scatter had streamed through the cache.
 * Every rank uses the same order, so what prev sends is what this rank expects; and a chunk's
 * dependency (chunk c of step g - 1, from prev) is in an earlier wave, so the ring cannot deadlock.
 */
final class RingSchedule
{
    /** Waves between a chunk's step and the next: chunks in flight ahead of the forwards (4 x 64 KiB). */
    static final int WAVE_LAG = 4;

    private final int rank;
    private final int worldSize;
    private boolean isLaidOut;
    private long elementCount;
    private int chunkElements;
    private final int[] recvOffsets;
    private final int[] sendCounts;
    private final int[] recvCounts;
    private int sendTransfers;
    private int recvTransfers;
    private int[] sendSteps = new int[0];
    private int[] sendChunks = new int[0];
    private int[] recvSteps = new int[0];
    private int[] recvChunks = new int[0];
    /** Position in the receive order of (step, chunk), at recvOffsets[step] + chunk. */
    private int[] recvPositions = new int[0];

    RingSchedule(final int rank, final int worldSize)
    {
        this.rank = rank;
        this.worldSize = worldSize;
        this.recvOffsets = new int[Math.max(1, 2 * worldSize - 2) + 1];
        this.sendCounts = new int[Math.max(0, 2 * worldSize - 2)];
        this.recvCounts = new int[Math.max(0, 2 * worldSize - 2)];
    }

    /** Lay out a new buffer; a training loop sums the same length every step, which keeps the layout. */
    void reset(final long elementCount, final int chunkElements)
    {
        if (isLaidOut && elementCount == this.elementCount && chunkElements == this.chunkElements)
        {
            return;
        }
        isLaidOut = true;
        this.elementCount = elementCount;
        this.chunkElements = chunkElements;
        int sends = 0;
        int receives = 0;
        int mostChunks = 0;
        for (int g = 0; g < steps(); g++)
        {
            sendCounts[g] = chunkCount(sendSegment(g));
            recvCounts[g] = chunkCount(recvSegment(g));
            recvOffsets[g] = receives;
            sends += sendCounts[g];
            receives += recvCounts[g];
            mostChunks = Math.max(mostChunks, Math.max(sendCounts[g], recvCounts[g]));
        }
        recvOffsets[steps()] = receives;
        // Not always equal: a rank sends one segment twice and receives another twice, and segments can
        // differ by a chunk (N whole chunks per segment plus one element).
        sendTransfers = sends;
        recvTransfers = receives;
        if (sendSteps.length < sends)
        {
            sendSteps = new int[sends];
            sendChunks = new int[sends];
        }
        if (recvSteps.length < receives)
        {
            recvSteps = new int[receives];
            recvChunks = new int[receives];
            recvPositions = new int[receives];
        }
        final int lastWave = mostChunks - 1 + (steps() - 1) * WAVE_LAG;
        inWaves(sendCounts, mostChunks, lastWave, sendSteps, sendChunks);
        inWaves(recvCounts, mostChunks, lastWave, recvSteps, recvChunks);
        for (int i = 0; i < receives; i++)
        {
            recvPositions[recvOffsets[recvSteps[i]] + recvChunks[i]] = i;
        }
    }

    /** Orders the chunks of every step by wave, then step: fills {@code stepOf} and {@code chunkOf}. */
    private void inWaves(final int[] chunksPerStep, final int mostChunks, final int lastWave, final int[] stepOf,
        final int[] chunkOf)
    {
        int i = 0;
        for (int wave = 0; wave <= lastWave; wave++)
        {
            // Only steps whose chunk (wave - g x lag) can lie in [0, mostChunks): O(chunks), not O(waves x steps).
            final int lastStep = Math.min(steps() - 1, wave / WAVE_LAG);
            for (int g = Math.max(0, (wave - mostChunks) / WAVE_LAG); g <= lastStep; g++)
            {
                final int chunk = wave - g * WAVE_LAG;
                if (chunk >= 0 && chunk < chunksPerStep[g])
                {
                    stepOf[i] = g;
                    chunkOf[i++] = chunk;
                }
            }
        }
    }

    int steps()
    {
        return 2 * worldSize - 2;
    }

    /** @return chunks this rank sends in the whole operation. */
    int sendTransfers()
    {
        return sendTransfers;
    }

    /** @return chunks this rank receives in the whole operation. */
    int recvTransfers()
    {
        return recvTransfers;
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

    /** @return the step of the {@code i}-th chunk this rank sends. */
    int sendStep(final int i)
    {
        return sendSteps[i];
    }

    /** @return the chunk, within its step's segment, of the {@code i}-th chunk this rank sends. */
    int sendChunk(final int i)
    {
        return sendChunks[i];
    }

    /** @return the step of the {@code i}-th chunk this rank receives. */
    int recvStep(final int i)
    {
        return recvSteps[i];
    }

    /** @return the chunk, within its step's segment, of the {@code i}-th chunk this rank receives. */
    int recvChunk(final int i)
    {
        return recvChunks[i];
    }

    /** @return how many chunks this rank has received once chunk {@code chunk} of step {@code step} is in, minus one. */
    int recvPosition(final int step, final int chunk)
    {
        return recvPositions[recvOffsets[step] + chunk];
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
