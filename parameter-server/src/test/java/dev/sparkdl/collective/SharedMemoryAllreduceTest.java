package dev.sparkdl.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SharedMemoryAllreduceTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(20);
    private static final long SHORT_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(300);

    @ParameterizedTest(name = "worldSize={0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSumLikeAPlainSumAndEndBitIdenticalOnEveryRank(final int worldSize) throws Exception
    {
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TIMEOUT_NS);
        RingAllreduceTest.assertSumsLikeAPlainSumBitIdentically(worldSize, 7L * worldSize, rank ->
        {
            final Allreduce group = SharedMemoryAllreduce.joinIfColocated(rendezvous.forRank(rank), rank, worldSize,
                TIMEOUT_NS);
            assertNotNull(group, "every rank runs in this JVM");
            return group;
        });
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldSumDoubleArraysAndLeaveNoGroupBehind() throws Exception
    {
        final String key = UUID.randomUUID().toString();
        final List<ThreadRanks.Outcome<double[]>> outcomes = ThreadRanks.run(3, 20_000, rank ->
        {
            try (SharedMemoryAllreduce group = SharedMemoryAllreduce.join(key, rank, 3, TIMEOUT_NS))
            {
                final double[] values = new double[5];
                for (int step = 0; step < 100; step++)
                {
                    Arrays.fill(values, rank + step);
                    group.sum(values);
                }
                return values;
            }
        });
        for (final ThreadRanks.Outcome<double[]> outcome : outcomes)
        {
            assertEquals(3 * 99 + 3, outcome.orThrow()[4], 0.0);
        }
        assertFalse(SharedMemoryAllreduce.hasGroup(key), "the group outlived its ranks");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldNotShareMemoryWhenAnyRankRunsInAnotherJvm()
    {
        final Rendezvous rendezvous = local -> new String[]{local, "another-jvm token"};
        assertNull(SharedMemoryAllreduce.joinIfColocated(rendezvous, 0, 2, TIMEOUT_NS));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldFailEveryWaitingRankNamingTheOneThatNeverCame() throws Exception
    {
        final String key = UUID.randomUUID().toString();
        final long started = System.nanoTime();
        final List<ThreadRanks.Outcome<Void>> outcomes = ThreadRanks.run(3, 20_000, rank ->
        {
            try (SharedMemoryAllreduce group = SharedMemoryAllreduce.join(key, rank, 3, SHORT_TIMEOUT_NS))
            {
                if (rank != 2)
                {
                    group.sum(new double[3]);
                }
            }
            return null;
        });
        // Rank 2 joined and left without summing: the others fail at once or at the deadline, naming it.
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10));
        for (int rank = 0; rank < 2; rank++)
        {
            final CollectiveException failure = assertInstanceOf(CollectiveException.class,
                outcomes.get(rank).failure(), "rank " + rank);
            assertEquals(2, failure.culpritRank(), failure.getMessage());
            assertTrue(failure.reason() == CollectiveException.Reason.PEER_GONE ||
                failure.reason() == CollectiveException.Reason.TIMEOUT, failure.getMessage());
        }
        assertNull(outcomes.get(2).failure());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldTimeOutNamingAStalledRank() throws Exception
    {
        final String key = UUID.randomUUID().toString();
        final CountDownLatch othersFailed = new CountDownLatch(2);
        final List<ThreadRanks.Outcome<Void>> outcomes = ThreadRanks.run(3, 20_000, rank ->
        {
            try (SharedMemoryAllreduce group = SharedMemoryAllreduce.join(key, rank, 3, SHORT_TIMEOUT_NS))
            {
                if (rank == 1)
                {
                    // Stalls (still a member) until the others gave up on it.
                    assertTrue(othersFailed.await(10, TimeUnit.SECONDS));
                    return null;
                }
                try
                {
                    group.sum(new double[3]);
                }
                finally
                {
                    othersFailed.countDown();
                }
            }
            return null;
        });
        for (final int rank : new int[]{0, 2})
        {
            assertFailedNaming(outcomes.get(rank), CollectiveException.Reason.TIMEOUT, 1);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldFailTheOthersAtOnceNamingAnAbortingRankAndWhy() throws Exception
    {
        final String key = UUID.randomUUID().toString();
        final List<ThreadRanks.Outcome<Void>> outcomes = ThreadRanks.run(4, 20_000, rank ->
        {
            final SharedMemoryAllreduce group = SharedMemoryAllreduce.join(key, rank, 4, TIMEOUT_NS);
            try
            {
                group.sum(new double[2]);
                if (rank == 3)
                {
                    group.abort("out of memory in backprop");
                    return null;
                }
                group.sum(new double[2]);
            }
            finally
            {
                group.close();
            }
            return null;
        });
        for (int rank = 0; rank < 3; rank++)
        {
            final CollectiveException failure = assertFailedNaming(outcomes.get(rank),
                CollectiveException.Reason.RANK_FAILED, 3);
            assertTrue(failure.getMessage().contains("out of memory in backprop"), failure.getMessage());
        }
        assertFalse(SharedMemoryAllreduce.hasGroup(key));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldHonourInterruptionAndFailThePeersNamingTheInterruptedRank() throws Exception
    {
        final String key = UUID.randomUUID().toString();
        final Thread[] rank0Thread = new Thread[1];
        final CountDownLatch rank0Waiting = new CountDownLatch(1);
        final List<ThreadRanks.Outcome<Boolean>> outcomes = ThreadRanks.run(2, 20_000, rank ->
        {
            try (SharedMemoryAllreduce group = SharedMemoryAllreduce.join(key, rank, 2, TIMEOUT_NS))
            {
                if (rank == 0)
                {
                    rank0Thread[0] = Thread.currentThread();
                    rank0Waiting.countDown();
                    try
                    {
                        group.sum(new double[1]);
                    }
                    catch (final CollectiveException ex)
                    {
                        assertEquals(CollectiveException.Reason.INTERRUPTED, ex.reason());
                        return Thread.currentThread().isInterrupted();
                    }
                    return false;
                }
                assertTrue(rank0Waiting.await(10, TimeUnit.SECONDS));
                Thread.sleep(100);
                rank0Thread[0].interrupt();
                Thread.sleep(100);
                group.sum(new double[1]);
                return false;
            }
        });
        assertTrue(outcomes.get(0).orThrow(), "the interrupt flag was not kept");
        final CollectiveException failure = assertInstanceOf(CollectiveException.class, outcomes.get(1).failure());
        assertEquals(0, failure.culpritRank(), failure.getMessage());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRejectRanksThatDisagreeOnTheLengthNamingTheOddOne() throws Exception
    {
        final String key = UUID.randomUUID().toString();
        final List<ThreadRanks.Outcome<Void>> outcomes = ThreadRanks.run(3, 20_000, rank ->
        {
            try (SharedMemoryAllreduce group = SharedMemoryAllreduce.join(key, rank, 3, TIMEOUT_NS))
            {
                group.sum(new double[rank == 2 ? 4 : 5]);
            }
            return null;
        });
        for (final ThreadRanks.Outcome<Void> outcome : outcomes)
        {
            assertFailedNaming(outcome, CollectiveException.Reason.PROTOCOL, 2);
        }
    }

    /** The rank failed with a {@link CollectiveException} for {@code reason} that blames {@code culprit}. */
    private static CollectiveException assertFailedNaming(final ThreadRanks.Outcome<?> outcome,
        final CollectiveException.Reason reason, final int culprit)
    {
        final CollectiveException failure = assertInstanceOf(CollectiveException.class, outcome.failure());
        assertEquals(reason, failure.reason(), failure.getMessage());
        assertEquals(culprit, failure.culpritRank(), failure.getMessage());
        return failure;
    }
}
