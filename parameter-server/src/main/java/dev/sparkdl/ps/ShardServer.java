package dev.sparkdl.ps;

import dev.sparkdl.codec.ClockFlyweight;
import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.codec.ShardChunkFlyweight;
import dev.sparkdl.codec.SignalFlyweight;
import dev.sparkdl.compress.GradientCodec;
import io.aeron.Publication;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * One shard's server logic, free of threads and Aeron so that it can be driven and fuzzed directly.
 *
 * <p>Stale-synchronous clocks: worker w's pushes arrive in clock order, chunk by chunk in element order
 * (one Aeron image per worker keeps that order). Clock c's gradients are summed in slot c mod (s + 1); once
 * all workers completed clock c it is applied (sum of rows as the batch size) and {@code applied} becomes
 * c + 1. A worker may push at most s clocks ahead of {@code applied}, which its own pull waits guarantee.
 * A pull asks for the shard once {@code applied} reaches a minimum; it is answered with a consistent
 * snapshot (no clock is applied while a reply is being sent) and, while it waits, with periodic status
 * naming the slowest worker.
 *
 * <p>{@link #onMessage} never throws: malformed, forged, out-of-order or corrupt frames are counted, the
 * sender remembered, and dropped.
 */
public final class ShardServer
{
    private static final Logger LOG = LoggerFactory.getLogger(ShardServer.class);
    private static final int NONE = -1;

    private final int shard;
    private final int workers;
    private final int slots;
    private final int length;
    private final GradientCodec decoder;
    private final ShardUpdater updater;
    private final ShardResponder responder;
    private final int paramsChunkElements;
    private final long statusIntervalNs;
    private final float[] params;
    private final float[][] sums;
    private final int[] slotRows;
    private final double[] slotLoss;
    private final int[] slotEpoch;
    private final int[] slotDone;
    private final long[] pushed;
    private final int[] nextElement;
    private final long[] pullMin;
    private final int[] sendNext;
    private final long[] lastStatusNs;
    private final boolean[] saidBye;
    private final ShardChunkFlyweight chunk = new ShardChunkFlyweight();
    private final ClockFlyweight clockMessage = new ClockFlyweight();
    private final SignalFlyweight signal = new SignalFlyweight();
    private final CRC32C crc32c = new CRC32C();
    private long applied;
    private long updates;
    private int lastRows;
    private double lastLoss;
    private int lastEpoch;
    private int sending;
    private long accepted;
    private int rejected;
    private int rejectedFrom = NONE;
    private String lastRejection;

    /**
     * @param shard               this shard's index (the owner's rank).
     * @param workers             number of workers that push.
     * @param staleness           s >= 0.
     * @param initialParams       the shard's parameters before clock 0 (kept, updated in place).
     * @param decoder             decodes pushes; the codec every worker encodes with.
     * @param updater             the optimizer step.
     * @param paramsChunkElements elements per PARAMS chunk.
     * @param statusIntervalNs    how often a waiting worker hears from this shard.
     * @param responder           where replies go.
     */
    public ShardServer(final int shard, final int workers, final int staleness, final float[] initialParams,
        final GradientCodec decoder, final ShardUpdater updater, final int paramsChunkElements,
        final long statusIntervalNs, final ShardResponder responder)
    {
        if (workers < 1 || staleness < 0 || paramsChunkElements < 1)
        {
            throw new IllegalArgumentException("workers=" + workers + " staleness=" + staleness +
                " paramsChunkElements=" + paramsChunkElements);
        }
        this.shard = shard;
        this.workers = workers;
        this.slots = staleness + 1;
        this.length = initialParams.length;
        this.params = initialParams;
        this.decoder = decoder;
        this.updater = updater;
        this.paramsChunkElements = paramsChunkElements;
        this.statusIntervalNs = statusIntervalNs;
        this.responder = responder;
        this.sums = new float[slots][length];
        this.slotRows = new int[slots];
        this.slotLoss = new double[slots];
        this.slotEpoch = new int[slots];
        this.slotDone = new int[slots];
        this.pushed = new long[workers];
        this.nextElement = new int[workers];
        this.pullMin = new long[workers];
        this.sendNext = new int[workers];
        this.lastStatusNs = new long[workers];
        this.saidBye = new boolean[workers];
        Arrays.fill(pullMin, NONE);
        Arrays.fill(sendNext, NONE);
    }

    /**
     * Handle one message from an authenticated worker's link.
     *
     * @param worker the rank the link was authenticated for.
     */
    public void onMessage(final int worker, final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            final String problem = dispatch(worker, buffer, offset, length);
            if (null == problem)
            {
                accepted++;
            }
            else
            {
                reject(worker, problem);
            }
        }
        catch (final RuntimeException ex)
        {
            reject(worker, "unreadable frame: " + ex);
        }
    }

    private String dispatch(final int worker, final DirectBuffer buffer, final int offset, final int length)
    {
        if (worker < 0 || worker >= workers)
        {
            return "unknown worker";
        }
        final short type = MessageHeader.typeOf(buffer, offset, length);
        if (MessageHeader.INVALID_TYPE != type && MessageHeader.senderRank(buffer, offset) != worker)
        {
            return "sender rank " + MessageHeader.senderRank(buffer, offset) + " on the link of rank " + worker;
        }
        return switch (type)
        {
            case MessageHeader.TYPE_PUSH -> chunk.tryWrap(buffer, offset, length, type) ? onPush(worker) :
                "malformed push";
            case MessageHeader.TYPE_PULL -> clockMessage.tryWrap(buffer, offset, length, type) ? onPull(worker) :
                "malformed pull";
            case MessageHeader.TYPE_BYE -> signal.tryWrap(buffer, offset, length, type) ? onBye(worker) :
                "malformed bye";
            default -> "unexpected message type " + type;
        };
    }

    private String onPush(final int worker)
    {
        final long clock = chunk.clock();
        final int first = chunk.firstElement();
        final int count = chunk.elementCount();
        if (chunk.shard() != shard || chunk.shardLength() != length || chunk.encoding() != decoder.id())
        {
            return "push for shard " + chunk.shard() + " of length " + chunk.shardLength() + " encoded " +
                chunk.encoding() + ", this is shard " + shard + " of length " + length + " encoded " + decoder.id();
        }
        if (clock != pushed[worker] || first != nextElement[worker] || count < 1 || count > length - first)
        {
            return "push of clock " + clock + " elements [" + first + ", +" + count + ") out of order (expected clock " +
                pushed[worker] + " from element " + nextElement[worker] + ")";
        }
        if (clock >= applied + slots || saidBye[worker])
        {
            return "push of clock " + clock + " beyond the staleness bound (applied " + applied + ")";
        }
        if (chunk.rows() < 0 || !chunk.isCrcValid(crc32c))
        {
            return "CRC32C mismatch on push of clock " + clock;
        }
        final int slot = (int)(clock % slots);
        if (!decoder.decodeAdd(chunk.buffer(), chunk.payloadOffset(), chunk.payloadLength(), count, sums[slot],
            first))
        {
            return "undecodable " + decoder.name() + " payload in push of clock " + clock;
        }
        if (first == 0)
        {
            slotRows[slot] += chunk.rows();
            slotLoss[slot] += chunk.lossSum();
            slotEpoch[slot] = Math.max(slotEpoch[slot], chunk.epoch());
        }
        nextElement[worker] = first + count;
        if (nextElement[worker] == length)
        {
            nextElement[worker] = 0;
            pushed[worker]++;
            slotDone[slot]++;
        }
        return null;
    }

    private String onPull(final int worker)
    {
        final long minClock = clockMessage.clock();
        if (clockMessage.shard() != shard || minClock < 0 || minClock > pushed[worker] || pullMin[worker] != NONE ||
            sendNext[worker] != NONE || saidBye[worker])
        {
            return "pull for shard " + clockMessage.shard() + " at clock " + minClock + " (pushed " + pushed[worker] +
                ", pending " + pullMin[worker] + ")";
        }
        pullMin[worker] = minClock;
        lastStatusNs[worker] = System.nanoTime();
        return null;
    }

    private String onBye(final int worker)
    {
        if (signal.operations() != pushed[worker] || pullMin[worker] != NONE || saidBye[worker])
        {
            return "goodbye after " + signal.operations() + " clocks, pushed " + pushed[worker];
        }
        saidBye[worker] = true;
        return null;
    }

    private void reject(final int worker, final String problem)
    {
        rejected++;
        rejectedFrom = worker;
        if (null == lastRejection || rejected <= 3 || Integer.bitCount(rejected) == 1)
        {
            LOG.warn("shard {} rejected a frame from rank {} ({} so far): {}", shard, worker, rejected, problem);
        }
        lastRejection = problem;
    }

    /**
     * Apply completed clocks, send what pending pulls may have, and status to those still waiting.
     *
     * @return work done (0 when idle).
     */
    public int doWork(final long nowNs)
    {
        int work = 0;
        while (sending == 0 && slotDone[(int)(applied % slots)] == workers)
        {
            applyClock();
            work++;
        }
        for (int w = 0; w < workers; w++)
        {
            if (pullMin[w] == NONE)
            {
                continue;
            }
            if (sendNext[w] == NONE && applied >= pullMin[w])
            {
                sendNext[w] = 0;
                sending++;
            }
            if (sendNext[w] != NONE)
            {
                work += sendParams(w);
            }
            else if (nowNs - lastStatusNs[w] >= statusIntervalNs)
            {
                final int laggard = laggard();
                if (responder.offerStatus(w, shard, applied, laggard, pushed[laggard], rejected, rejectedFrom) > 0)
                {
                    lastStatusNs[w] = nowNs;
                    work++;
                }
            }
        }
        return work;
    }

    private int sendParams(final int w)
    {
        int work = 0;
        if (length == 0)
        {
            finishSend(w);
            return 1;
        }
        while (sendNext[w] < length)
        {
            final int count = Math.min(paramsChunkElements, length - sendNext[w]);
            final long result = responder.offerParams(w, shard, applied, params, sendNext[w], count, lastRows,
                lastLoss, lastEpoch);
            if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED ||
                result == Publication.MAX_POSITION_EXCEEDED)
            {
                LOG.warn("shard {} dropped its reply to rank {}: {}", shard, w, Publication.errorString(result));
                finishSend(w);
                return work + 1;
            }
            if (result < 0)
            {
                return work;
            }
            sendNext[w] += count;
            work++;
        }
        finishSend(w);
        return work;
    }

    private void finishSend(final int w)
    {
        sendNext[w] = NONE;
        pullMin[w] = NONE;
        sending--;
    }

    private void applyClock()
    {
        final int slot = (int)(applied % slots);
        if (slotRows[slot] > 0 && length > 0)
        {
            updater.apply(sums[slot], slotRows[slot], slotEpoch[slot], updates, params);
            updates++;
        }
        lastRows = slotRows[slot];
        lastLoss = slotLoss[slot];
        lastEpoch = slotEpoch[slot];
        Arrays.fill(sums[slot], 0f);
        slotRows[slot] = 0;
        slotLoss[slot] = 0;
        slotEpoch[slot] = 0;
        slotDone[slot] = 0;
        applied++;
    }

    /** @return the worker with the fewest clocks pushed (the lowest rank among equals). */
    public int laggard()
    {
        int slowest = 0;
        for (int w = 1; w < workers; w++)
        {
            if (pushed[w] < pushed[slowest])
            {
                slowest = w;
            }
        }
        return slowest;
    }

    /** @return clocks applied to this shard. */
    public long applied()
    {
        return applied;
    }

    /** @return clocks worker w has completely pushed. */
    public long pushed(final int worker)
    {
        return pushed[worker];
    }

    public long accepted()
    {
        return accepted;
    }

    public int rejected()
    {
        return rejected;
    }

    /** @return the rank the last rejected frame came from, or -1. */
    public int rejectedFrom()
    {
        return rejectedFrom;
    }

    public String lastRejection()
    {
        return lastRejection;
    }

    /** @return whether every worker said goodbye and no reply is in flight: the shard may stop. */
    public boolean isFinished()
    {
        for (final boolean bye : saidBye)
        {
            if (!bye)
            {
                return false;
            }
        }
        return sending == 0;
    }

    /** @return a copy of the optimizer's state for the shard (read while no clock is applied). */
    public float[] updaterState()
    {
        return updater.state();
    }

    /** @return the shard's parameters (live; read on the owner's thread). */
    public float[] params()
    {
        return params;
    }

    public int shard()
    {
        return shard;
    }

    public int length()
    {
        return length;
    }
}
