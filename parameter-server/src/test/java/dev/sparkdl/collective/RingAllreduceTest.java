package dev.sparkdl.collective;

import dev.sparkdl.transport.CollectiveContext;
import dev.sparkdl.transport.LinkMedium;
import dev.sparkdl.transport.MediaDriverHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingAllreduceTest
{
    private static final int IPC_TERM = 512 * 1024;

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

    /**
     * Lengths that stress the layout: empty, fewer than ranks, not a multiple, several Aeron messages, and
     * whole chunks per segment plus one element (of floats, of doubles), so one segment has a chunk more
     * than the others and a rank sends a different number of chunks than it receives.
     */
    static long[] lengthsFor(final int worldSize, final Random random)
    {
        final int chunkBytes = RingLinks.chunkBytesFor(CollectiveContext.DEFAULT_MTU_LENGTH);
        return new long[]{
            0, Math.max(0, worldSize - 1), 1, worldSize * 37L + 1 + random.nextInt(worldSize + 1),
            1 + random.nextInt(5000), 70_001 + random.nextInt(60_000),
            worldSize * (long)(chunkBytes / Float.BYTES) + 1, worldSize * (long)(chunkBytes / Double.BYTES) + 1};
    }

    @ParameterizedTest(name = "worldSize={0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSumLikeAPlainSumAndEndBitIdenticalOnEveryRank(final int worldSize) throws Exception
    {
        final long seed = 42L * worldSize;
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));

        assertSumsLikeAPlainSumBitIdentically(worldSize, seed, rank ->
            new RingAllreduce(TestContexts.context(aeronDir), rendezvous.forRank(rank), rank, worldSize,
                TestContexts.SECRET, TestContexts.LOOPBACK));
    }

    /** Ranks with a driver each, as ranks in different JVMs on one host have: IPC through each other's driver. */
    @ParameterizedTest(name = "worldSize={0}")
    @ValueSource(ints = {2, 3, 5})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSumLikeAPlainSumThroughEachOthersDrivers(final int worldSize) throws Exception
    {
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
        assertSumsLikeAPlainSumBitIdentically(worldSize, 7L * worldSize, rank ->
        {
            final CollectiveContext ctx = TestContexts.context(aeronDir + "-" + rank).ipcTermLength(IPC_TERM);
            final RingAllreduce ring = new RingAllreduce(ctx, rendezvous.forRank(rank), rank, worldSize,
                TestContexts.SECRET, TestContexts.LOOPBACK);
            final String media = ring.linkMedia();
            // Every rank here runs on this host: the small IPC term only while each can have a core.
            final int expectedTerm = worldSize <= Runtime.getRuntime().availableProcessors() ? IPC_TERM :
                ctx.termLength();
            if (media.split("over " + LinkMedium.IPC_ON_HOST.label(), -1).length != 3 ||
                ring.dataTermLength() != expectedTerm)
            {
                ring.close();
                throw new AssertionError("rank " + rank + " links: " + media + ", data term " +
                    ring.dataTermLength() + ", expected " + expectedTerm);
            }
            return ring;
        });
        for (int rank = 0; rank < worldSize; rank++)
        {
            assertFalse(new File(aeronDir + "-" + rank).exists(), "rank " + rank + " left its Aeron directory");
        }
        assertEquals(0, dev.sparkdl.transport.CoLocatedDrivers.openClients(), "clients on other drivers left open");
    }

    @Test
    void shouldTakeTheSmallIpcTermOnlyOverIpcWithACorePerRankOnTheHost()
    {
        final CollectiveContext ctx = new CollectiveContext().maxBufferBytes(64L << 20).conclude();
        assertEquals(64 << 20, ctx.termLength());
        assertEquals(CollectiveContext.DEFAULT_IPC_TERM_LENGTH, ctx.ipcTermLength());
        assertEquals(ctx.ipcTermLength(), RingLinks.dataTermLength(ctx, LinkMedium.IPC_ON_HOST, 2, 2));
        assertEquals(ctx.ipcTermLength(), RingLinks.dataTermLength(ctx, LinkMedium.IPC_IN_JVM, 1, 16));
        assertEquals(ctx.termLength(), RingLinks.dataTermLength(ctx, LinkMedium.IPC_ON_HOST, 4, 2));
        assertEquals(ctx.termLength(), RingLinks.dataTermLength(ctx, LinkMedium.UDP, 2, 16));
    }

    /**
     * Every rank opens its {@link Allreduce} and sums each of {@link #lengthsFor} in each element type; every
     * result must match a plain sum and rank 0's bit for bit.
     */
    static void assertSumsLikeAPlainSumBitIdentically(final int worldSize, final long seed,
        final ThreadRanks.RankTask<Allreduce> open) throws InterruptedException
    {
        final long[] lengths = lengthsFor(worldSize, new Random(seed));
        final List<ThreadRanks.Outcome<List<ByteBuffer>>> outcomes = ThreadRanks.run(worldSize, 50_000, rank ->
        {
            final List<ByteBuffer> results = new ArrayList<>();
            try (Allreduce allreduce = open.run(rank))
            {
                for (final long length : lengths)
                {
                    for (final ElementType type : ElementType.values())
                    {
                        final ByteBuffer buffer = input(rank, length, type, seed);
                        allreduce.sum(buffer, type, length);
                        results.add(buffer);
                    }
                }
            }
            return results;
        });

        final List<ByteBuffer> rank0 = outcomes.get(0).orThrow();
        int index = 0;
        for (final long length : lengths)
        {
            for (final ElementType type : ElementType.values())
            {
                assertMatchesPlainSum(rank0.get(index), type, length, worldSize, seed);
                for (int rank = 1; rank < worldSize; rank++)
                {
                    final ByteBuffer other = outcomes.get(rank).orThrow().get(index);
                    assertEquals(rank0.get(index).clear(), other.clear(),
                        "rank " + rank + " differs from rank 0 for " + length + " x " + type);
                }
                index++;
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSumOverUdpAndThroughTheArrayConveniences() throws Exception
    {
        final int worldSize = 3;
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
        final List<ThreadRanks.Outcome<Object[]>> outcomes = ThreadRanks.run(worldSize, 50_000, rank ->
        {
            final CollectiveContext ctx = TestContexts.context(aeronDir).ipcWithinJvm(false);
            try (RingAllreduce ring = new RingAllreduce(ctx, rendezvous.forRank(rank), rank, worldSize,
                TestContexts.SECRET, TestContexts.LOOPBACK))
            {
                final float[] floats = new float[100_003];
                Arrays.fill(floats, rank + 0.5f);
                ring.sum(floats);
                final double[] doubles = new double[7];
                Arrays.fill(doubles, rank * 0.25);
                ring.sum(doubles);
                return new Object[]{floats, doubles};
            }
        });
        for (final ThreadRanks.Outcome<Object[]> outcome : outcomes)
        {
            final float[] floats = (float[])outcome.orThrow()[0];
            final double[] doubles = (double[])outcome.orThrow()[1];
            final float[] expectedFloats = new float[floats.length];
            Arrays.fill(expectedFloats, 0.5f + 1.5f + 2.5f);
            assertArrayEquals(expectedFloats, floats);
            final double[] expectedDoubles = new double[doubles.length];
            Arrays.fill(expectedDoubles, 0.75);
            assertArrayEquals(expectedDoubles, doubles);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRejectHeapBuffersAndLengthsBeyondTheBuffer()
    {
        try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir), info -> new String[]{info}, 0, 1,
            TestContexts.SECRET, TestContexts.LOOPBACK))
        {
            assertThrows(IllegalArgumentException.class,
                () -> ring.sum(ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()), ElementType.FLOAT, 4));
            final ByteBuffer direct = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
            assertThrows(IllegalArgumentException.class, () -> ring.sum(direct, ElementType.DOUBLE, 3));
            ring.sum(direct, ElementType.FLOAT, 4);
            assertEquals(1, ring.operations());
        }
        assertThrows(IllegalArgumentException.class, () -> new RingAllreduce(TestContexts.context(aeronDir),
            info -> new String[]{info}, 0, 1, TestContexts.SECRET, "0.0.0.0"));
        assertThrows(IllegalArgumentException.class, () -> new RingAllreduce(TestContexts.context(aeronDir),
            info -> new String[]{info}, 0, 1, new byte[4], TestContexts.LOOPBACK));
    }

    static ByteBuffer input(final int rank, final long length, final ElementType type, final long seed)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect((int)(length * type.width())).order(ByteOrder.nativeOrder());
        final Random random = new Random(seed * 31 + rank * 1_000_003L + length);
        for (int i = 0; i < length; i++)
        {
            if (type == ElementType.FLOAT)
            {
                buffer.putFloat(i * Float.BYTES, (float)random.nextGaussian());
            }
            else
            {
                buffer.putDouble(i * Double.BYTES, random.nextGaussian());
            }
        }
        return buffer;
    }

    static void assertMatchesPlainSum(final ByteBuffer actual, final ElementType type, final long length,
        final int worldSize, final long seed)
    {
        final double[] expected = new double[(int)length];
        for (int rank = 0; rank < worldSize; rank++)
        {
            final ByteBuffer in = input(rank, length, type, seed);
            for (int i = 0; i < length; i++)
            {
                expected[i] += type == ElementType.FLOAT ? in.getFloat(i * Float.BYTES) : in.getDouble(i * Double.BYTES);
            }
        }
        final double tolerance = type == ElementType.FLOAT ? 1e-5 : 1e-12;
        for (int i = 0; i < length; i++)
        {
            final double value = type == ElementType.FLOAT ? actual.getFloat(i * Float.BYTES) :
                actual.getDouble(i * Double.BYTES);
            assertTrue(Math.abs(value - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i]) * worldSize),
                "element " + i + " of " + length + " x " + type + ": " + value + " != plain sum " + expected[i]);
        }
    }
}
