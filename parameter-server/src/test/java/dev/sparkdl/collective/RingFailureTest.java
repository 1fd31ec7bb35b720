package dev.sparkdl.collective;

import dev.sparkdl.codec.ChunkFlyweight;
import dev.sparkdl.transport.MediaDriverHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingFailureTest
{
    private String aeronDir;

    @BeforeEach
    void setUp()
    {
        aeronDir = TestContexts.freshAeronDir();
    }

    @AfterEach
    void driverIsGoneAndItsDirectoryRemoved()
    {
        assertEquals(0, MediaDriverHandle.referenceCount(aeronDir), "driver still referenced");
        assertFalse(new File(aeronDir).exists(), "Aeron directory left behind: " + aeronDir);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRefuseAPeerWithTheWrongSecretAndNameIt() throws Exception
    {
        final int worldSize = 3;
        final int forger = 2;
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
        final List<ThreadRanks.Outcome<Object>> outcomes = ThreadRanks.run(worldSize, 50_000, rank ->
        {
            final byte[] secret = rank == forger ? "not-the-fit-secret-at-all".getBytes() : TestContexts.SECRET;
            try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir), rendezvous.forRank(rank),
                rank, worldSize, secret, TestContexts.LOOPBACK))
            {
                ring.sum(new float[10]);
            }
            return null;
        });
        // Every honest rank fails (none hangs or joins) naming the forger: the one that refuses it directly,
        // and one whose honest neighbour refused first through that neighbour's abort.
        for (int rank = 0; rank < worldSize; rank++)
        {
            if (rank != forger)
            {
                final CollectiveException ex = assertInstanceOf(CollectiveException.class,
                    outcomes.get(rank).failure(), "rank " + rank);
                assertEquals(CollectiveException.Reason.AUTHENTICATION, ex.reason(), "rank " + rank + ": " +
                    ex.getMessage());
                assertEquals(forger, ex.culpritRank(), ex.getMessage());
                assertTrue(ex.getMessage().contains("rank " + forger), ex.getMessage());
            }
        }
        assertInstanceOf(CollectiveException.class, outcomes.get(forger).failure());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRejectAChunkWhoseCrcDoesNotMatch() throws Exception
    {
        final int worldSize = 2;
        // Flip one payload bit after the CRC was computed: what a bad NIC or a memory error would do.
        final ChunkTap corruptFirstPayload = (buffer, offset, length) ->
        {
            if (length > ChunkFlyweight.HEADER_LENGTH)
            {
                final int index = offset + ChunkFlyweight.PAYLOAD_OFFSET;
                buffer.putByte(index, (byte)(buffer.getByte(index) ^ 0x10));
            }
        };
        final List<ThreadRanks.Outcome<Object>> outcomes = sumWithTap(worldSize, 0, corruptFirstPayload);
        for (int rank = 0; rank < worldSize; rank++)
        {
            final CollectiveException ex = assertInstanceOf(CollectiveException.class, outcomes.get(rank).failure(),
                "rank " + rank);
            assertEquals(CollectiveException.Reason.CORRUPT_CHUNK, ex.reason(), ex.getMessage());
            assertEquals(0, ex.culpritRank(), ex.getMessage());
        }
        assertTrue(outcomes.get(1).failure().getMessage().contains("CRC32C"), outcomes.get(1).failure().getMessage());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRejectAForwardedChunkCorruptedAfterItsCheck() throws Exception
    {
        // A forwarded all-gather chunk carries the CRC its forwarder checked on arrival; bytes that change
        // after that check (here: in the forwarder's outgoing frame) must still be caught downstream.
        final int worldSize = 3;
        final int lastStep = 2 * worldSize - 3;
        final ChunkTap corruptForward = (buffer, offset, length) ->
        {
            final ChunkFlyweight chunk = new ChunkFlyweight();
            if (chunk.tryWrap(buffer, offset, length) && chunk.step() == lastStep && chunk.payloadLength() > 0)
            {
                final int index = offset + ChunkFlyweight.PAYLOAD_OFFSET;
                buffer.putByte(index, (byte)(buffer.getByte(index) ^ 0x01));
            }
        };
        final List<ThreadRanks.Outcome<Object>> outcomes = sumWithTap(worldSize, 1, corruptForward);
        final CollectiveException atNext = assertInstanceOf(CollectiveException.class, outcomes.get(2).failure());
        assertEquals(CollectiveException.Reason.CORRUPT_CHUNK, atNext.reason(), atNext.getMessage());
        assertEquals(1, atNext.culpritRank(), atNext.getMessage());
        assertTrue(atNext.getMessage().contains("step " + lastStep), atNext.getMessage());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailEverySurvivorNamingARankThatStalls() throws Exception
    {
        final int worldSize = 4;
        final int stalled = 1;
        final long timeoutMs = 2_000;
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
        final CountDownLatch othersDone = new CountDownLatch(worldSize - 1);
        final long[] failedAfterMs = new long[worldSize];
        final List<ThreadRanks.Outcome<Object>> outcomes = ThreadRanks.run(worldSize, 50_000, rank ->
        {
            try (RingAllreduce ring = new RingAllreduce(
                TestContexts.context(aeronDir).timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs)),
                rendezvous.forRank(rank), rank, worldSize, TestContexts.SECRET, TestContexts.LOOPBACK))
            {
                ring.sum(new float[5000]);
                if (rank == stalled)
                {
                    // Joined the ring, then never calls sum again: a hung task.
                    othersDone.await(30, TimeUnit.SECONDS);
                    return null;
                }
                final long startNs = System.nanoTime();
                try
                {
                    ring.sum(new float[5000]);
                }
                finally
                {
                    failedAfterMs[rank] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                    othersDone.countDown();
                }
            }
            return null;
        });
        assertNull(outcomes.get(stalled).failure());
        for (int rank = 0; rank < worldSize; rank++)
        {
            if (rank != stalled)
            {
                final CollectiveException ex = assertInstanceOf(CollectiveException.class,
                    outcomes.get(rank).failure(), "rank " + rank);
                assertEquals(stalled, ex.culpritRank(), "rank " + rank + ": " + ex.getMessage());
                assertTrue(ex.getMessage().contains("rank " + stalled), ex.getMessage());
                assertTrue(failedAfterMs[rank] < 3 * timeoutMs, "rank " + rank + " took " + failedAfterMs[rank]);
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailAnInterruptedRankAndLeaveTheSharedDriverWorking() throws Exception
    {
        final int worldSize = 2;
        // Hold the driver so that both rings below share it, as ranks of one executor do.
        try (MediaDriverHandle held = MediaDriverHandle.acquire(TestContexts.context(aeronDir)))
        {
            final InMemoryRendezvous first = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
            final List<ThreadRanks.Outcome<Object>> outcomes = ThreadRanks.run(worldSize, 50_000, rank ->
            {
                try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir).ipcWithinJvm(false),
                    first.forRank(rank), rank, worldSize, TestContexts.SECRET, TestContexts.LOOPBACK))
                {
                    if (rank == 1)
                    {
                        Thread.currentThread().interrupt();
                    }
                    ring.sum(new float[200_000]);
                }
                return null;
            });
            final CollectiveException interrupted =
                assertInstanceOf(CollectiveException.class, outcomes.get(1).failure());
            assertEquals(CollectiveException.Reason.INTERRUPTED, interrupted.reason(), interrupted.getMessage());
            assertInstanceOf(CollectiveException.class, outcomes.get(0).failure());

            // The driver the failed ring shared still serves the next ring.
            final InMemoryRendezvous second = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
            final List<ThreadRanks.Outcome<float[]>> sums = ThreadRanks.run(worldSize, 50_000, rank ->
            {
                try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir).ipcWithinJvm(false),
                    second.forRank(rank), rank, worldSize, TestContexts.SECRET, TestContexts.LOOPBACK))
                {
                    final float[] values = new float[200_000];
                    java.util.Arrays.fill(values, rank + 1);
                    ring.sum(values);
                    return values;
                }
            });
            for (int rank = 0; rank < worldSize; rank++)
            {
                final float[] values = sums.get(rank).orThrow();
                assertEquals(3f, values[0]);
                assertEquals(3f, values[values.length - 1]);
            }
        }
    }

    /** Every rank sums 1,000 doubles; {@code tapped}'s outgoing frames pass through {@code tap}. */
    private List<ThreadRanks.Outcome<Object>> sumWithTap(final int worldSize, final int tapped, final ChunkTap tap)
        throws Exception
    {
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
        return ThreadRanks.run(worldSize, 50_000, rank ->
        {
            try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir), rendezvous.forRank(rank),
                rank, worldSize, TestContexts.SECRET, TestContexts.LOOPBACK, rank == tapped ? tap : ChunkTap.NONE))
            {
                ring.sum(new double[1000]);
            }
            return null;
        });
    }
}
