package dev.sparkdl.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Allreduce (SUM, in place) for ranks that all run in this JVM: Spark's local mode, or every task slot of
 * one executor. There is no wire, so no copy into a log buffer, no CRC and no driver thread: each rank
 * adds every other rank's share of one slice into its own buffer, then copies the other slices from
 * their owners. Each element is summed once, by one rank, so every rank ends bit-identical.
 *
 * <p>One call is three barrier phases: (1) every buffer is published, (2) every slice is summed, (3) every
 * slice is copied, so no rank writes its buffer again while another still reads it. Each phase waits at
 * most the timeout; a rank that does not arrive, leaves, aborts or is interrupted fails every waiting rank
 * with a {@link CollectiveException} naming it. A failed instance only accepts {@link #close()}.
 */
public final class SharedMemoryAllreduce implements Allreduce
{
    /** This JVM's identity in a rendezvous: ranks that report the same one can share memory. */
    private static final String JVM_ID = UUID.randomUUID().toString();
    private static final String ENDPOINT = "this JVM";
    private static final ConcurrentHashMap<String, Group> GROUPS = new ConcurrentHashMap<>();

    private final Group group;
    private final int rank;
    private final long timeoutNs;
    private final UnsafeBuffer own = new UnsafeBuffer(0, 0);
    private ByteBuffer arrayBuffer;
    private CollectiveException failure;
    private boolean isClosed;

    private SharedMemoryAllreduce(final Group group, final int rank, final long timeoutNs)
    {
        this.group = group;
        this.rank = rank;
        this.timeoutNs = timeoutNs;
    }

    /**
     * Meet the other ranks through {@code rendezvous} (one call, by every rank) and, when every rank runs in
     * this JVM, join their group. Returns null, on every rank alike, when any rank runs elsewhere.
     *
     * @param timeoutNs how long each phase of an operation waits for the slowest rank.
     */
    public static SharedMemoryAllreduce joinIfColocated(final Rendezvous rendezvous, final int rank,
        final int worldSize, final long timeoutNs)
    {
        checkRank(rank, worldSize);
        final String[] all = rendezvous.allGather(JVM_ID + " " + UUID.randomUUID());
        if (all.length != worldSize)
        {
            throw new CollectiveException(CollectiveException.Reason.RENDEZVOUS, CollectiveException.NO_RANK, null,
                "the rendezvous returned " + all.length + " ranks, expected " + worldSize);
        }
        for (final String info : all)
        {
            if (!info.startsWith(JVM_ID + " "))
            {
                return null;
            }
        }
        // Rank 0's random token names the group, so a retried fit never meets a failed attempt's group.
        return join(all[0], rank, worldSize, timeoutNs);
    }

    /** Join the group {@code key} of this JVM as {@code rank}; the group forms as its ranks arrive. */
    static SharedMemoryAllreduce join(final String key, final int rank, final int worldSize, final long timeoutNs)
    {
        checkRank(rank, worldSize);
        if (timeoutNs <= 0)
        {
            throw new IllegalArgumentException("timeoutNs must be positive, got " + timeoutNs);
        }
        final Group group = GROUPS.compute(key, (k, existing) ->
        {
            final Group joined = null != existing ? existing : new Group(k, worldSize);
            joined.enter(rank, worldSize);
            return joined;
        });
        return new SharedMemoryAllreduce(group, rank, timeoutNs);
    }

    private static void checkRank(final int rank, final int worldSize)
    {
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
        {
            throw new IllegalArgumentException("rank " + rank + " of worldSize " + worldSize);
        }
    }

    /** @return whether this JVM still holds a group with this key (for tests of the clean-up). */
    static boolean hasGroup(final String key)
    {
        return GROUPS.containsKey(key);
    }

    @Override
    public int rank()
    {
        return rank;
    }

    @Override
    public int worldSize()
    {
        return group.worldSize;
    }

    @Override
    public void sum(final ByteBuffer buffer, final ElementType type, final long elementCount)
    {
        checkUsable();
        Reducer.requireSummable(buffer, type, elementCount);
        final int worldSize = group.worldSize;
        if (worldSize == 1)
        {
            return;
        }
        final int width = type.width();
        own.wrap(buffer, 0, (int)elementCount * width);
        try
        {
            group.publish(rank, own, type, elementCount);
            group.await(rank, timeoutNs);
            group.requireSameShape();
            final int from = sliceStart(elementCount, rank, worldSize);
            final int to = sliceStart(elementCount, rank + 1, worldSize);
            for (int peer = 0; peer < worldSize; peer++)
            {
                if (peer != rank)
                {
                    Reducer.add(own, from * width, group.buffers[peer], from * width, to - from, type);
                }
            }
            group.await(rank, timeoutNs);
            for (int peer = 0; peer < worldSize; peer++)
            {
                if (peer != rank)
                {
                    final int peerFrom = sliceStart(elementCount, peer, worldSize) * width;
                    final int peerTo = sliceStart(elementCount, peer + 1, worldSize) * width;
                    own.putBytes(peerFrom, group.buffers[peer], peerFrom, peerTo - peerFrom);
                }
            }
            group.await(rank, timeoutNs);
        }
        catch (final CollectiveException ex)
        {
            failure = ex;
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            // Never leave the others waiting for a rank whose own part of the sum broke.
            failure = group.record(CollectiveException.Reason.RANK_FAILED, rank, "rank " + rank + " failed in a sum: " +
                ex, ex);
            throw failure;
        }
    }

    /** First element of {@code rank}'s slice: slices differ in length by at most one element. */
    private static int sliceStart(final long elementCount, final int rank, final int worldSize)
    {
        return (int)(elementCount * rank / worldSize);
    }

    @Override
    public void sum(final double[] values)
    {
        final int bytes = values.length * Double.BYTES;
        if (null == arrayBuffer || arrayBuffer.capacity() < bytes)
        {
            arrayBuffer = ByteBuffer.allocateDirect(Math.max(bytes, 64)).order(ByteOrder.nativeOrder());
        }
        arrayBuffer.clear();
        arrayBuffer.asDoubleBuffer().put(values);
        sum(arrayBuffer, ElementType.DOUBLE, values.length);
        arrayBuffer.asDoubleBuffer().get(values);
    }

    @Override
    public void abort(final String why)
    {
        if (!isClosed && null == failure)
        {
            group.record(CollectiveException.Reason.RANK_FAILED, rank, "rank " + rank + " failed: " + why, null);
        }
        close();
    }

    @Override
    public void close()
    {
        if (!isClosed)
        {
            // The published buffer stays wrapped: a failing peer may still be reading it.
            isClosed = true;
            group.leave(rank);
        }
    }

    private void checkUsable()
    {
        if (isClosed)
        {
            throw new IllegalStateException("rank " + rank + " has left the group");
        }
        if (null != failure)
        {
            throw new IllegalStateException("the group failed before: " + failure.getMessage(), failure);
        }
    }

    /** The ranks of one group: their published buffers and the barrier they meet at. */
    private static final class Group
    {
        final String key;
        final int worldSize;
        final UnsafeBuffer[] buffers;
        final ElementType[] types;
        final long[] counts;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition tripped = lock.newCondition();
        private final boolean[] entered;
        private final boolean[] left;
        private final boolean[] arrived;
        private int arrivedCount;
        private long generation;
        private int members;
        private CollectiveException.Reason failureReason;
        private int failureCulprit;
        private String failureMessage;

        Group(final String key, final int worldSize)
        {
            this.key = key;
            this.worldSize = worldSize;
            buffers = new UnsafeBuffer[worldSize];
            types = new ElementType[worldSize];
            counts = new long[worldSize];
            entered = new boolean[worldSize];
            left = new boolean[worldSize];
            arrived = new boolean[worldSize];
        }

        /** Called inside the registry's compute for this key, so joins and removals never interleave. */
        void enter(final int rank, final int size)
        {
            if (size != worldSize)
            {
                throw new CollectiveException(CollectiveException.Reason.PROTOCOL, rank, ENDPOINT, "rank " + rank +
                    " joined with worldSize " + size + ", the group has " + worldSize);
            }
            lock.lock();
            try
            {
                if (entered[rank])
                {
                    throw new CollectiveException(CollectiveException.Reason.PROTOCOL, rank, ENDPOINT,
                        "rank " + rank + " joined the group twice");
                }
                entered[rank] = true;
                members++;
            }
            finally
            {
                lock.unlock();
            }
        }

        void publish(final int rank, final UnsafeBuffer buffer, final ElementType type, final long count)
        {
            lock.lock();
            try
            {
                buffers[rank] = buffer;
                types[rank] = type;
                counts[rank] = count;
            }
            finally
            {
                lock.unlock();
            }
        }

        /** After the first phase every rank sees the same shapes, so every rank blames the same one. */
        void requireSameShape()
        {
            for (int peer = 1; peer < worldSize; peer++)
            {
                if (types[peer] != types[0] || counts[peer] != counts[0])
                {
                    throw record(CollectiveException.Reason.PROTOCOL, peer, "rank " + peer + " summed " +
                        counts[peer] + " " + types[peer] + " elements, rank 0 " + counts[0] + " " + types[0], null);
                }
            }
        }

        /** Wait until every rank has arrived at this phase, at most {@code timeoutNs}. */
        void await(final int rank, final long timeoutNs)
        {
            final long deadlineNs = System.nanoTime() + timeoutNs;
            lock.lock();
            try
            {
                throwIfFailed();
                final long phase = generation;
                arrived[rank] = true;
                if (++arrivedCount == worldSize)
                {
                    Arrays.fill(arrived, false);
                    arrivedCount = 0;
                    generation++;
                    tripped.signalAll();
                    return;
                }
                while (generation == phase)
                {
                    throwIfFailed();
                    final int missing = firstMissing();
                    if (left[missing])
                    {
                        throw record(CollectiveException.Reason.PEER_GONE, missing, "rank " + missing +
                            " left the group while rank " + rank + " waited for it", null);
                    }
                    final long remainingNs = deadlineNs - System.nanoTime();
                    if (remainingNs <= 0)
                    {
                        throw record(CollectiveException.Reason.TIMEOUT, missing, "rank " + missing +
                            " did not reach the sum within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms", null);
                    }
                    try
                    {
                        tripped.awaitNanos(remainingNs);
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        throw record(CollectiveException.Reason.INTERRUPTED, rank, "rank " + rank +
                            " was interrupted while waiting for rank " + missing, ex);
                    }
                }
            }
            finally
            {
                lock.unlock();
            }
        }

        private int firstMissing()
        {
            for (int peer = 0; peer < worldSize; peer++)
            {
                if (!arrived[peer])
                {
                    return peer;
                }
            }
            throw new IllegalStateException("every rank arrived but the phase did not end");
        }

        /**
         * Records the group's first failure and wakes every waiting rank; returns the failure as this rank's
         * exception (the first one's reason and culprit, whatever this rank saw later).
         */
        CollectiveException record(final CollectiveException.Reason reason, final int culprit, final String message,
            final Throwable cause)
        {
            lock.lock();
            try
            {
                if (null == failureReason)
                {
                    failureReason = reason;
                    failureCulprit = culprit;
                    failureMessage = message;
                    tripped.signalAll();
                }
                return new CollectiveException(failureReason, failureCulprit, ENDPOINT, failureMessage, cause);
            }
            finally
            {
                lock.unlock();
            }
        }

        private void throwIfFailed()
        {
            if (null != failureReason)
            {
                throw new CollectiveException(failureReason, failureCulprit, ENDPOINT, failureMessage);
            }
        }

        private boolean isEmpty()
        {
            lock.lock();
            try
            {
                return members == 0;
            }
            finally
            {
                lock.unlock();
            }
        }

        void leave(final int rank)
        {
            lock.lock();
            try
            {
                left[rank] = true;
                members--;
                tripped.signalAll();
            }
            finally
            {
                lock.unlock();
            }
            GROUPS.computeIfPresent(key, (k, group) -> group.isEmpty() ? null : group);
        }
    }
}
