package dev.sparkdl.ps;

import dev.sparkdl.codec.HelloFlyweight;
import dev.sparkdl.collective.CollectiveException;
import dev.sparkdl.collective.InMemoryRendezvous;
import dev.sparkdl.transport.Channels;
import dev.sparkdl.transport.CollectiveContext;
import dev.sparkdl.transport.MediaDriverHandle;
import io.aeron.ExclusivePublication;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ranks as threads over a real embedded media driver (IPC, and UDP on loopback). */
@Timeout(180)
class ParameterServerTest
{
    private static final float LR = 0.25f;
    private final String dir = PsTestSupport.freshAeronDir();

    @AfterEach
    void driverIsGone()
    {
        assertEquals(0, MediaDriverHandle.referenceCount(dir));
        assertFalse(new File(dir).exists(), "Aeron directory left behind: " + dir);
    }

    /** Rank r's gradient at step t, independent of the parameters, so the result is known in advance. */
    private static float gradient(final int rank, final int step, final int i)
    {
        return (float)Math.sin(0.001 * i + rank * 0.7 + step * 0.3);
    }

    private static double[] expected(final int length, final int workers, final int steps, final int rowsPerRank)
    {
        final double[] params = new double[length];
        for (int i = 0; i < length; i++)
        {
            params[i] = 0.01 * i;
            for (int t = 0; t < steps; t++)
            {
                double sum = 0;
                for (int r = 0; r < workers; r++)
                {
                    sum += gradient(r, t, i);
                }
                params[i] -= LR * sum / (rowsPerRank * workers);
            }
        }
        return params;
    }

    private float[][] train(final int workers, final int length, final int steps, final ParameterServer.Settings settings,
        final CollectiveContext[] contexts, final long[] delayMsPerRank, final AtomicLongArray stepsDone,
        final AtomicInteger maxLead) throws Exception
    {
        final ShardLayout layout = ShardLayout.even(length, workers);
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(workers, TimeUnit.SECONDS.toNanos(30));
        final List<PsTestSupport.Outcome<float[]>> outcomes = PsTestSupport.runRanks(workers, 150_000, rank ->
        {
            final float[] initial = new float[length];
            for (int i = 0; i < length; i++)
            {
                initial[i] = 0.01f * i;
            }
            final FloatBuffer params = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer().put(initial);
            final FloatBuffer gradient = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
            final float[] shard = java.util.Arrays.copyOfRange(initial, (int)layout.from(rank), (int)layout.to(rank));
            final double[] stats = new double[2];
            try (ParameterServer ps = new ParameterServer(contexts[rank], rendezvous.forRank(rank), rank, workers,
                PsTestSupport.SECRET, PsTestSupport.LOOPBACK, layout, settings, r -> PsTestSupport.sgd(LR), shard))
            {
                for (int t = 0; t < steps; t++)
                {
                    for (int i = 0; i < length; i++)
                    {
                        gradient.put(i, gradient(rank, t, i));
                    }
                    if (delayMsPerRank[rank] > 0)
                    {
                        Thread.sleep(delayMsPerRank[rank]);
                    }
                    ps.step(gradient, 2, 1.0, 0, params, stats, t == steps - 1);
                    stepsDone.incrementAndGet(rank);
                    long slowest = Long.MAX_VALUE;
                    for (int r = 0; r < workers; r++)
                    {
                        slowest = Math.min(slowest, stepsDone.get(r));
                    }
                    maxLead.accumulateAndGet((int)(t + 1 - slowest), Math::max);
                    if (settings.staleness() == 0)
                    {
                        assertEquals(2.0 * workers, stats[0], "rows of this step over all ranks");
                        assertEquals(workers, stats[1], 1e-9, "loss sum of this step over all ranks");
                    }
                }
            }
            final float[] out = new float[length];
            params.get(0, out);
            return out;
        });
        final float[][] result = new float[workers][];
        for (int r = 0; r < workers; r++)
        {
            result[r] = outcomes.get(r).orThrow();
        }
        return result;
    }

    private CollectiveContext[] contexts(final int workers, final boolean ipc)
    {
        final CollectiveContext[] contexts = new CollectiveContext[workers];
        for (int r = 0; r < workers; r++)
        {
            contexts[r] = PsTestSupport.context(dir, 10_000).ipcWithinJvm(ipc);
        }
        return contexts;
    }

    @Test
    void shouldApplyEveryClockSynchronouslyAtZeroStalenessOverIpc() throws Exception
    {
        final int workers = 3;
        final int length = 40_000; // several chunks per shard
        final int steps = 4;
        final AtomicInteger maxLead = new AtomicInteger();
        final float[][] params = train(workers, length, steps, ParameterServer.Settings.synchronous(),
            contexts(workers, true), new long[] {0, 5, 0}, new AtomicLongArray(workers), maxLead);
        final double[] expected = expected(length, workers, steps, 2);
        for (int r = 0; r < workers; r++)
        {
            assertArrayEquals(params[0], params[r], "replica " + r + " differs from replica 0");
        }
        for (int i = 0; i < length; i++)
        {
            assertEquals(expected[i], params[0][i], 1e-4, "element " + i);
        }
        assertTrue(maxLead.get() <= 1, "a rank ran " + maxLead.get() + " steps ahead at s = 0");
    }

    /** A driver per rank, as ranks in different JVMs on one host have: IPC through each other's driver. */
    @Test
    void shouldApplyEveryClockSynchronouslyThroughEachOthersDrivers() throws Exception
    {
        final int workers = 3;
        final int length = 40_000;
        final int steps = 4;
        final CollectiveContext[] contexts = new CollectiveContext[workers];
        for (int r = 0; r < workers; r++)
        {
            contexts[r] = PsTestSupport.context(dir + "-" + r, 10_000);
        }
        final float[][] params = train(workers, length, steps, ParameterServer.Settings.synchronous(), contexts,
            new long[] {0, 5, 0}, new AtomicLongArray(workers), new AtomicInteger());
        final double[] expected = expected(length, workers, steps, 2);
        for (int r = 0; r < workers; r++)
        {
            assertArrayEquals(params[0], params[r], "replica " + r + " differs from replica 0");
            assertFalse(new File(dir + "-" + r).exists(), "rank " + r + " left its Aeron directory");
        }
        for (int i = 0; i < length; i++)
        {
            assertEquals(expected[i], params[0][i], 1e-4, "element " + i);
        }
        assertEquals(0, dev.sparkdl.transport.CoLocatedDrivers.openClients(), "clients on other drivers left open");
    }

    @Test
    void shouldMatchOverUdpAndRunAheadWithinTheStalenessBound() throws Exception
    {
        final int workers = 2;
        final int length = 20_000;
        final int steps = 12;
        final int staleness = 3;
        final AtomicInteger maxLead = new AtomicInteger();
        final float[][] params = train(workers, length, steps, new ParameterServer.Settings(staleness, "none", 1e-3, 10),
            contexts(workers, false), new long[] {0, 40}, new AtomicLongArray(workers), maxLead);
        assertArrayEquals(params[0], params[1], "the last step is synchronous: replicas end identical");
        final double[] expected = expected(length, workers, steps, 2);
        for (int i = 0; i < length; i++)
        {
            assertEquals(expected[i], params[0][i], 1e-4, "element " + i);
        }
        assertTrue(maxLead.get() >= 2, "the fast rank never ran ahead of the slow one (lead " + maxLead.get() + ")");
        assertTrue(maxLead.get() <= staleness + 1, "lead " + maxLead.get() + " beyond staleness " + staleness);
    }

    @Test
    void shouldLoseNothingWithThresholdCompression() throws Exception
    {
        final int workers = 2;
        final int length = 5_000;
        final int steps = 6;
        final float[][] params = train(workers, length, steps, new ParameterServer.Settings(1, "threshold", 0.05, 10),
            contexts(workers, true), new long[2], new AtomicLongArray(workers), new AtomicInteger());
        final double[] expected = expected(length, workers, steps, 2);
        double worst = 0;
        for (int i = 0; i < length; i++)
        {
            worst = Math.max(worst, Math.abs(expected[i] - params[0][i]));
        }
        // What is still in the residuals is at most one threshold per worker per element, scaled by lr / rows.
        assertTrue(worst <= LR * 0.05 * workers / 4 + 1e-4, "threshold run is off by " + worst);
    }

    @Test
    void shouldNameTheStalledRankWithinTheDeadline() throws Exception
    {
        final int workers = 3;
        final int length = 3_000;
        final ShardLayout layout = ShardLayout.even(length, workers);
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(workers, TimeUnit.SECONDS.toNanos(30));
        final CountDownLatch survivorsDone = new CountDownLatch(2);
        final long timeoutMs = 1_500;
        final List<PsTestSupport.Outcome<Long>> outcomes = PsTestSupport.runRanks(workers, 60_000, rank ->
        {
            final FloatBuffer params = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            final FloatBuffer gradient = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
            try (ParameterServer ps = new ParameterServer(PsTestSupport.context(dir, timeoutMs), rendezvous.forRank(rank),
                rank, workers, PsTestSupport.SECRET, PsTestSupport.LOOPBACK, layout, new ParameterServer.Settings(1,
                "none", 1e-3, 10), r -> PsTestSupport.sgd(LR), new float[layout.length(rank)]))
            {
                if (rank == 2)
                {
                    // Alive (its shard keeps serving) but its worker never pushes: a stalled executor.
                    assertTrue(survivorsDone.await(30, TimeUnit.SECONDS));
                    return -1L;
                }
                final long startNs = System.nanoTime();
                try
                {
                    for (int t = 0; t < 10; t++)
                    {
                        ps.step(gradient, 1, 0, 0, params, new double[2], false);
                    }
                    return 0L;
                }
                catch (final CollectiveException ex)
                {
                    assertEquals(CollectiveException.Reason.TIMEOUT, ex.reason(), ex.getMessage());
                    assertEquals(2, ex.culpritRank(), ex.getMessage());
                    assertTrue(ex.getMessage().contains(ps.links().peers[2].serverEndpoint()), ex.getMessage());
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                }
                finally
                {
                    survivorsDone.countDown();
                }
            }
        });
        for (int r = 0; r < 2; r++)
        {
            final long elapsedMs = outcomes.get(r).orThrow();
            assertTrue(elapsedMs >= timeoutMs && elapsedMs < timeoutMs + 10_000, "rank " + r + " failed after " +
                elapsedMs + " ms");
        }
        outcomes.get(2).orThrow();
    }

    @Test
    void shouldRefuseAForgedPeerAndKeepServing() throws Exception
    {
        final int workers = 2;
        final int length = 2_000;
        final ShardLayout layout = ShardLayout.even(length, workers);
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(workers, TimeUnit.SECONDS.toNanos(30));
        final List<PsTestSupport.Outcome<Integer>> outcomes = PsTestSupport.runRanks(workers, 60_000, rank ->
        {
            final FloatBuffer params = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            final FloatBuffer gradient = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
            for (int i = 0; i < length; i++)
            {
                gradient.put(i, 1f);
            }
            try (MediaDriverHandle attackerDriver = MediaDriverHandle.acquire(PsTestSupport.context(dir, 10_000));
                ParameterServer ps = new ParameterServer(PsTestSupport.context(dir, 10_000), rendezvous.forRank(rank),
                    rank, workers, PsTestSupport.SECRET, PsTestSupport.LOOPBACK, layout,
                    ParameterServer.Settings.synchronous(), r -> PsTestSupport.sgd(1f), new float[layout.length(rank)]))
            {
                if (rank == 0)
                {
                    // A peer without the secret: a hello with a wrong MAC, then a push claiming to be rank 1.
                    final ShardPeer target = ps.links().peers[0];
                    try (ExclusivePublication forged = attackerDriver.aeron().addExclusivePublication(
                        Channels.udpPublication(PsTestSupport.context(dir, 10_000).conclude(), target.serverEndpoint(),
                            64 * 1024, 1408), target.serverStream()))
                    {
                        final UnsafeBuffer hello = new UnsafeBuffer(new byte[HelloFlyweight.LENGTH]);
                        new HelloFlyweight().wrapForEncode(hello, 0, 1).receiverRank(0).worldSize(workers)
                            .link(HelloFlyweight.LINK_PS_REQUEST).mac(new byte[HelloFlyweight.MAC_LENGTH]);
                        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (forged.offer(hello, 0, HelloFlyweight.LENGTH) < 0 && System.nanoTime() < deadlineNs)
                        {
                            Thread.sleep(1);
                        }
                        final byte[] push = PsTestSupport.pushFrame(1, 0, 0, layout.length(0), 0, layout.length(0), 100,
                            new dev.sparkdl.compress.NoneCodec(), new float[layout.length(0)]);
                        forged.offer(new UnsafeBuffer(push), 0, push.length);
                        Thread.sleep(300);
                    }
                }
                for (int t = 0; t < 3; t++)
                {
                    ps.step(gradient, 1, 0, 0, params, new double[2], t == 2);
                }
                for (int i = 0; i < length; i++)
                {
                    assertEquals(-3f, params.get(i), 1e-6f, "element " + i);
                }
                return ps.server().rejected();
            }
        });
        assertEquals(0, outcomes.get(0).orThrow(), "the forged peer's frames were never read");
        outcomes.get(1).orThrow();
    }

    @Test
    void shouldFailToJoinWithTheWrongSecret() throws Exception
    {
        final int workers = 2;
        final ShardLayout layout = ShardLayout.even(100, workers);
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(workers, TimeUnit.SECONDS.toNanos(30));
        final List<PsTestSupport.Outcome<Object>> outcomes = PsTestSupport.runRanks(workers, 60_000, rank ->
        {
            final byte[] secret = rank == 1 ? "another-secret-of-some-length".getBytes() : PsTestSupport.SECRET;
            try (ParameterServer ignored = new ParameterServer(PsTestSupport.context(dir, 2_000)
                .connectTimeoutNs(TimeUnit.SECONDS.toNanos(3)), rendezvous.forRank(rank), rank, workers, secret,
                PsTestSupport.LOOPBACK, layout, ParameterServer.Settings.synchronous(), r -> PsTestSupport.sgd(1f),
                new float[layout.length(rank)]))
            {
                return "joined";
            }
        });
        for (final PsTestSupport.Outcome<Object> outcome : outcomes)
        {
            assertInstanceOf(CollectiveException.class, outcome.failure(), String.valueOf(outcome.value()));
            assertEquals(CollectiveException.Reason.TIMEOUT, ((CollectiveException)outcome.failure()).reason());
        }
    }
}
