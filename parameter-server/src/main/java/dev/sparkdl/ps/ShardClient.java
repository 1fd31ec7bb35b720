package dev.sparkdl.ps;

import dev.sparkdl.codec.ClockFlyweight;
import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.codec.ShardChunkFlyweight;
import dev.sparkdl.codec.SignalFlyweight;
import dev.sparkdl.collective.CollectiveException;
import dev.sparkdl.compress.GradientCodec;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

import static dev.sparkdl.collective.CollectiveException.Reason.CORRUPT_CHUNK;
import static dev.sparkdl.collective.CollectiveException.Reason.INTERRUPTED;
import static dev.sparkdl.collective.CollectiveException.Reason.PEER_GONE;
import static dev.sparkdl.collective.CollectiveException.Reason.TIMEOUT;

/**
 * A worker's side of the parameter server, on the training thread: pushes its gradient (plus the
 * residual the codec kept last time) to every shard owner, then pulls every shard once it has applied
 * enough clocks. Waits run only inside a call, on the caller's thread, with a deadline; a failure names
 * the rank to blame: the owner that went silent or away, or the slowest worker an owner waits for.
 */
final class ShardClient
{
    private static final int FRAGMENT_LIMIT = 64;

    private final int rank;
    private final ShardLayout layout;
    private final GradientCodec encoder;
    private final ShardLinks links;
    private final long timeoutNs;
    private final IdleStrategy idle;
    private final Supplier<Throwable> ownServerFailure;
    private final int pushChunkElements;
    private final float[] residual;
    private final UnsafeBuffer scratch;
    private final ShardChunkFlyweight chunk = new ShardChunkFlyweight();
    private final ClockFlyweight clockMessage = new ClockFlyweight();
    private final SignalFlyweight signal = new SignalFlyweight();
    private final CRC32C crc32c = new CRC32C();
    private final FragmentHandler[] handlers;
    // Pull state, per owner.
    private final int[] received;
    private final long[] lastHeardNs;
    private final int[] laggard;
    private final long[] laggardClock;
    private final long[] laggardSinceNs;
    private final int[] rejected;
    private final int[] rejectedFrom;
    private FloatBuffer pullTarget;
    private long pullMinClock;
    private CollectiveException pullFailure;
    private int statsShard = -1;
    private final double[] stats = new double[2];
    private long clock;
    private long pulledClock;
    private long bytesPushed;
    private long bytesPulled;

    ShardClient(final int rank, final ShardLayout layout, final GradientCodec encoder, final ShardLinks links,
        final long timeoutNs, final IdleStrategy idle, final Supplier<Throwable> ownServerFailure)
    {
        this.rank = rank;
        this.layout = layout;
        this.encoder = encoder;
        this.links = links;
        this.timeoutNs = timeoutNs;
        this.idle = idle;
        this.ownServerFailure = ownServerFailure;
        this.pushChunkElements = encoder.elementsPerChunk(links.payloadBytes);
        this.residual = new float[Math.toIntExact(layout.totalLength())];
        this.scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(ShardChunkFlyweight.HEADER_LENGTH + links.payloadBytes));
        final int n = layout.shards();
        this.received = new int[n];
        this.lastHeardNs = new long[n];
        this.laggard = new int[n];
        this.laggardClock = new long[n];
        this.laggardSinceNs = new long[n];
        this.rejected = new int[n];
        this.rejectedFrom = new int[n];
        this.handlers = new FragmentHandler[n];
        for (int k = 0; k < n; k++)
        {
            final int owner = k;
            handlers[k] = (buffer, offset, length, header) -> onReply(owner, buffer, offset, length);
        }
        for (int k = 0; k < n; k++)
        {
            if (layout.length(k) > 0 && statsShard < 0)
            {
                statsShard = k;
            }
        }
    }

    /** @return clocks pushed so far. */
    long clock()
    {
        return clock;
    }

    /** @return the oldest clock among the shards of the last pull: clocks its parameters hold. */
    long pulledClock()
    {
        return pulledClock;
    }

    /** @return what the codec kept back so far (live). */
    float[] residual()
    {
        return residual;
    }

    long bytesPushed()
    {
        return bytesPushed;
    }

    long bytesPulled()
    {
        return bytesPulled;
    }

    /**
     * Add the gradient to the residual and push it, encoded, to every owner as this worker's next clock.
     *
     * @param gradient the full flattened gradient (a sum over {@code rows} rows).
     */
    void push(final FloatBuffer gradient, final int rows, final double lossSum, final int epoch)
    {
        for (int i = 0; i < residual.length; i++)
        {
            residual[i] += gradient.get(i);
        }
        for (int k = 0; k < layout.shards(); k++)
        {
            final int from = Math.toIntExact(layout.from(k));
            final int length = layout.length(k);
            if (length == 0)
            {
                continue;
            }
            encoder.prepare(residual, from, from + length, residual.length);
            for (int first = 0; first < length; first += pushChunkElements)
            {
                final int count = Math.min(pushChunkElements, length - first);
                chunk.wrapForEncode(scratch, 0, MessageHeader.TYPE_PUSH, rank)
                    .clock(clock)
                    .shard(k)
                    .encoding(encoder.id())
                    .firstElement(first)
                    .elementCount(count)
                    .shardLength(length)
                    .rows(rows)
                    .lossSum(lossSum)
                    .epoch(epoch);
                final int payloadLength = encoder.encode(residual, from + first, count, scratch, chunk.payloadOffset());
                chunk.seal(payloadLength, crc32c);
                offer(k, scratch, chunk.encodedLength(), "pushing clock " + clock);
            }
        }
        clock++;
    }

    /**
     * Ask every owner for its shard once it has applied {@code minClock} clocks and wait for all of it.
     *
     * @param params   where the full parameter vector is written.
     * @param statsOut receives rows and loss sum of the newest clock applied (over all workers).
     */
    void pull(final long minClock, final FloatBuffer params, final double[] statsOut)
    {
        pullTarget = params;
        pullMinClock = minClock;
        pullFailure = null;
        pulledClock = Long.MAX_VALUE;
        final long nowNs = System.nanoTime();
        for (int k = 0; k < layout.shards(); k++)
        {
            received[k] = layout.length(k) == 0 ? -1 : 0;
            lastHeardNs[k] = nowNs;
            laggard[k] = -1;
            if (received[k] == 0)
            {
                clockMessage.wrapForEncode(scratch, 0, MessageHeader.TYPE_PULL, rank).clock(minClock).shard(k);
                offer(k, scratch, ClockFlyweight.LENGTH, "asking for shard " + k);
            }
        }
        idle.reset();
        while (true)
        {
            int work = 0;
            boolean done = true;
            for (int k = 0; k < layout.shards(); k++)
            {
                if (received[k] >= 0 && received[k] < layout.length(k))
                {
                    done = false;
                    work += links.fromOwner[k].poll(handlers[k], FRAGMENT_LIMIT);
                    if (null != pullFailure)
                    {
                        throw pullFailure;
                    }
                }
            }
            if (done)
            {
                break;
            }
            if (0 == work)
            {
                checkPull(System.nanoTime());
                idle.idle();
            }
            else
            {
                idle.reset();
            }
        }
        if (pulledClock == Long.MAX_VALUE)
        {
            pulledClock = minClock;
        }
        statsOut[0] = stats[0];
        statsOut[1] = stats[1];
        pullTarget = null;
    }

    /** Tell every owner this worker pushed its last clock. */
    void bye()
    {
        for (int k = 0; k < layout.shards(); k++)
        {
            signal.wrapForEncode(scratch, 0, MessageHeader.TYPE_BYE, rank).operations(layout.length(k) == 0 ? 0 : clock);
            offer(k, scratch, SignalFlyweight.LENGTH, "saying goodbye");
        }
    }

    private void onReply(final int owner, final DirectBuffer buffer, final int offset, final int length)
    {
        lastHeardNs[owner] = System.nanoTime();
        final short type = MessageHeader.typeOf(buffer, offset, length);
        if (type == MessageHeader.TYPE_SHARD_STATUS && clockMessage.tryWrap(buffer, offset, length, type))
        {
            if (clockMessage.rank() != laggard[owner] || clockMessage.rankClock() != laggardClock[owner])
            {
                laggard[owner] = clockMessage.rank();
                laggardClock[owner] = clockMessage.rankClock();
                laggardSinceNs[owner] = lastHeardNs[owner];
            }
            rejected[owner] = clockMessage.rejected();
            rejectedFrom[owner] = clockMessage.rejectedFrom();
            return;
        }
        if (type != MessageHeader.TYPE_PARAMS || !chunk.tryWrap(buffer, offset, length, type) ||
            chunk.senderRank() != owner || chunk.shard() != owner || chunk.shardLength() != layout.length(owner) ||
            chunk.clock() < pullMinClock || chunk.firstElement() != received[owner] || chunk.elementCount() < 1 ||
            chunk.elementCount() > layout.length(owner) - received[owner] ||
            chunk.payloadLength() != chunk.elementCount() * Float.BYTES || chunk.encoding() != GradientCodec.NONE)
        {
            pullFailure = new CollectiveException(CollectiveException.Reason.PROTOCOL, owner, endpoint(owner),
                "rank " + rank + " got an unexpected reply from the owner of shard " + owner + " (type " + type +
                ", " + length + " bytes) while pulling clock " + pullMinClock);
            return;
        }
        if (!chunk.isCrcValid(crc32c))
        {
            pullFailure = new CollectiveException(CORRUPT_CHUNK, owner, endpoint(owner), "rank " + rank +
                " got shard " + owner + " parameters failing their CRC32C (elements " + chunk.firstElement() + "+" +
                chunk.elementCount() + ")");
            return;
        }
        final int base = Math.toIntExact(layout.from(owner)) + chunk.firstElement();
        final int payload = chunk.payloadOffset();
        for (int i = 0, n = chunk.elementCount(); i < n; i++)
        {
            pullTarget.put(base + i, buffer.getFloat(payload + i * Float.BYTES, GradientCodec.ORDER));
        }
        received[owner] += chunk.elementCount();
        bytesPulled += length;
        pulledClock = Math.min(pulledClock, chunk.clock());
        if (owner == statsShard)
        {
            stats[0] = chunk.rows();
            stats[1] = chunk.lossSum();
        }
    }

    private void checkPull(final long nowNs)
    {
        checkCommon();
        for (int k = 0; k < layout.shards(); k++)
        {
            if (received[k] < 0 || received[k] >= layout.length(k))
            {
                continue;
            }
            checkConnected(k, "waiting for shard " + k);
            if (laggard[k] >= 0 && laggardClock[k] < pullMinClock && nowNs - laggardSinceNs[k] > timeoutNs)
            {
                final int slow = laggard[k];
                throw new CollectiveException(TIMEOUT, slow, endpoint(slow), "rank " + slow + " (" + endpoint(slow) +
                    ") pushed no clock for " + TimeUnit.NANOSECONDS.toMillis(nowNs - laggardSinceNs[k]) + " ms: " +
                    "shard " + k + " waits at clock " + laggardClock[k] + " for it while rank " + rank +
                    " needs clock " + pullMinClock + rejections(k));
            }
            if (nowNs - lastHeardNs[k] > timeoutNs)
            {
                throw new CollectiveException(TIMEOUT, k, endpoint(k), "the owner of shard " + k + ", rank " + k + " (" +
                    endpoint(k) + "), sent nothing for " + TimeUnit.NANOSECONDS.toMillis(nowNs - lastHeardNs[k]) +
                    " ms while rank " + rank + " waits for clock " + pullMinClock + rejections(k));
            }
        }
    }

    private String rejections(final int k)
    {
        return rejected[k] == 0 ? "" : " (shard " + k + " rejected " + rejected[k] + " frames, the last from rank " +
            rejectedFrom[k] + ")";
    }

    private void offer(final int owner, final DirectBuffer buffer, final int length, final String what)
    {
        final ExclusivePublication publication = links.toServer[owner];
        final long startNs = System.nanoTime();
        idle.reset();
        while (true)
        {
            final long result = publication.offer(buffer, 0, length);
            if (result > 0)
            {
                bytesPushed += length;
                return;
            }
            if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED ||
                result == Publication.MAX_POSITION_EXCEEDED)
            {
                throw gone(owner, what + ": " + Publication.errorString(result));
            }
            checkCommon();
            final long nowNs = System.nanoTime();
            if (nowNs - startNs > timeoutNs)
            {
                throw new CollectiveException(TIMEOUT, owner, endpoint(owner), "the owner of shard " + owner +
                    ", rank " + owner + " (" + endpoint(owner) + "), took no data for " +
                    TimeUnit.NANOSECONDS.toMillis(nowNs - startNs) + " ms while rank " + rank + " was " + what);
            }
            idle.idle();
        }
    }

    private void checkCommon()
    {
        if (Thread.currentThread().isInterrupted())
        {
            throw new CollectiveException(INTERRUPTED, rank, endpoint(rank), "rank " + rank +
                " was interrupted in the parameter server at clock " + clock);
        }
        final Throwable failure = ownServerFailure.get();
        if (null != failure)
        {
            throw new CollectiveException(CollectiveException.Reason.PROTOCOL, rank, endpoint(rank), "the shard " +
                "server of rank " + rank + " failed: " + failure, failure);
        }
    }

    private void checkConnected(final int owner, final String what)
    {
        if (!links.toServer[owner].isConnected() || links.fromOwner[owner].isClosed())
        {
            throw gone(owner, what + ": its link with rank " + rank + " was lost");
        }
        if (links.hasExited(owner))
        {
            throw gone(owner, what + ": its process on this host has exited");
        }
    }

    private CollectiveException gone(final int owner, final String detail)
    {
        return new CollectiveException(PEER_GONE, owner, endpoint(owner), "the owner of shard " + owner + ", rank " +
            owner + " (" + endpoint(owner) + "), is gone while rank " + rank + " was " + detail +
            " (process, executor or driver died?)");
    }

    private String endpoint(final int peer)
    {
        return links.peers[peer].serverEndpoint();
    }
}
