package dev.sparkdl.collective;

import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.codec.SignalFlyweight;
import dev.sparkdl.transport.Channels;
import dev.sparkdl.transport.CollectiveContext;
import dev.sparkdl.transport.MediaDriverHandle;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static dev.sparkdl.collective.CollectiveException.Reason.INTERRUPTED;
import static dev.sparkdl.collective.CollectiveException.Reason.PEER_GONE;
import static dev.sparkdl.collective.CollectiveException.Reason.PROTOCOL;
import static dev.sparkdl.collective.CollectiveException.Reason.TIMEOUT;

/**
 * Ring allreduce (SUM, in place) for one rank of a group, over Aeron: IPC between ranks that share this
 * JVM's media driver, UDP otherwise.
 *
 * <p>Construction is collective: every rank calls the constructor with the same world size and secret;
 * it meets the others through the rendezvous and authenticates both neighbours before returning. Then
 * every rank calls {@link #sum} the same number of times with the same length and element type, and
 * finally {@link #close()}. An instance is used by one thread at a time; its wait loop runs on the
 * caller's thread only during a call, so nothing spins between calls.
 *
 * <p>Any failure (a peer gone or stalled past {@link CollectiveContext#timeoutNs()}, a refused peer, a
 * corrupt chunk, an interrupt) throws a {@link CollectiveException} that names the rank to blame; the
 * failing rank tells its neighbours, who pass it on, so every survivor fails naming the same rank. A
 * failed instance only accepts {@link #close()}.
 */
public final class RingAllreduce implements Allreduce
{
    private static final Logger LOG = LoggerFactory.getLogger(RingAllreduce.class);
    private static final int FRAGMENT_LIMIT = 16;
    private static final int SEND_BURST = 16;
    /** Duty cycles of an INVOKER driver per loop pass while it has work: a datagram each, or so. */
    private static final int DRIVER_BURST = 8;
    private static final long MAX_ABORT_GRACE_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private final CollectiveContext ctx;
    private final int rank;
    private final int worldSize;
    private final MediaDriverHandle driver;
    private final RingLinks links;
    private final RingSchedule schedule;
    private final ChunkSender sender;
    private final ChunkReceiver receiver;
    private final ControlHandler controlHandler;
    private final AbortScanner abortScanner;
    private final RingProxy proxy;
    private final IdleStrategy idle;
    private long operations;
    private CollectiveException failure;
    private boolean isClosed;
    private ByteBuffer arrayBuffer;

    /**
     * Join the ring as {@code rank} of {@code worldSize}; blocks until both neighbours are connected and
     * authenticated, at most {@link CollectiveContext#connectTimeoutNs()} plus the rendezvous.
     *
     * @param ctx        configuration; concluded here. Its driver settings apply if this JVM has no driver yet.
     * @param rendezvous where the ranks swap endpoints (called once, by every rank).
     * @param rank       0 .. worldSize - 1.
     * @param worldSize  number of ranks.
     * @param secret     per-fit secret (at least 16 random bytes), the same on every rank.
     * @param bindHost   this executor's address for UDP; never a wildcard.
     * @throws CollectiveException when a peer is refused, or the connection times out or is interrupted.
     */
    public RingAllreduce(final CollectiveContext ctx, final Rendezvous rendezvous, final int rank,
        final int worldSize, final byte[] secret, final String bindHost)
    {
        this(ctx, rendezvous, rank, worldSize, secret, bindHost, ChunkTap.NONE);
    }

    RingAllreduce(final CollectiveContext ctx, final Rendezvous rendezvous, final int rank, final int worldSize,
        final byte[] secret, final String bindHost, final ChunkTap tap)
    {
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
        {
            throw new IllegalArgumentException("rank " + rank + " of worldSize " + worldSize);
        }
        Objects.requireNonNull(rendezvous, "rendezvous");
        Channels.requireSpecificHost(bindHost);
        final PeerAuthenticator authenticator = new PeerAuthenticator(secret);
        this.ctx = ctx.conclude();
        this.rank = rank;
        this.worldSize = worldSize;
        this.schedule = new RingSchedule(rank, worldSize);
        this.proxy = new RingProxy(rank);
        // Park at once rather than spin: on a small shared machine a spinning rank takes the core its peer
        // needs to produce the data it waits for; a parked one wakes within its park and gets the core back.
        this.idle = new BackoffIdleStrategy(0, 0, TimeUnit.MICROSECONDS.toNanos(1), ctx.collectiveIdleMaxParkNs());
        if (worldSize == 1)
        {
            // Nothing to exchange: no driver, no links.
            driver = null;
            links = null;
            sender = null;
            receiver = null;
            controlHandler = null;
            abortScanner = null;
            return;
        }

        driver = MediaDriverHandle.acquire(ctx);
        try
        {
            links = RingLinks.connect(ctx, driver, rendezvous, rank, worldSize, authenticator, bindHost, idle);
        }
        catch (final RuntimeException ex)
        {
            driver.close();
            throw ex;
        }
        final ChunkReceiver.AbortReader abortReader = new ChunkReceiver.AbortReader(links.peers);
        receiver = new ChunkReceiver(schedule, links.prev, abortReader);
        sender = new ChunkSender(rank, schedule, links.dataPublication, tap, links.chunkBytes, receiver);
        controlHandler = new ControlHandler(links.next, abortReader);
        abortScanner = new AbortScanner(abortReader);
        LOG.info("rank {} of {} joined the ring: prev {}, next {}; {}", rank, worldSize, links.prev.describe(),
            links.next.describe(), links.media());
    }

    public int rank()
    {
        return rank;
    }

    public int worldSize()
    {
        return worldSize;
    }

    /** @return how this rank's links reach its neighbours, e.g. "data to rank 1 over udp, ..."; "none" alone. */
    public String linkMedia()
    {
        return null == links ? "none" : links.media();
    }

    /** @return the data publication's term length in bytes; 0 when there is no link (one rank). */
    public int dataTermLength()
    {
        return null == links ? 0 : links.dataTermLength;
    }

    /** @return operations completed (or started and failed). */
    public long operations()
    {
        return operations;
    }

    /**
     * Sum {@code elementCount} elements of {@code buffer} across all ranks, in place. Every rank ends with
     * bit-identical contents.
     *
     * @param buffer       direct, native byte order; elements start at index 0 (position and limit are ignored).
     * @param type         element type, the same on every rank.
     * @param elementCount elements to reduce, the same on every rank (0 is allowed).
     * @throws CollectiveException naming the rank to blame when the operation fails.
     */
    public void sum(final ByteBuffer buffer, final ElementType type, final long elementCount)
    {
        checkArguments(buffer, type, elementCount);
        operations++;
        if (worldSize > 1)
        {
            reduce(buffer, type, elementCount, WireFormat.EXACT, null);
        }
    }

    /**
     * Sum {@code elementCount} floats across all ranks, in place, with the chunks quantized on the wire as
     * {@code feedback}'s format says; additions stay in float32. The buffer first takes back this rank's
     * residual; what quantization then loses from the values this rank sends goes into the residual, so the
     * sums over many calls plus the residuals equal the exact sums. Every rank ends bit-identical.
     *
     * @param buffer       direct, native byte order; elements start at index 0.
     * @param elementCount floats to reduce, the same on every rank; the same on every call with this feedback.
     * @param feedback     this rank's residual for this vector, with the same format on every rank.
     * @throws CollectiveException naming the rank to blame when the operation fails.
     */
    public void sum(final ByteBuffer buffer, final long elementCount, final ErrorFeedback feedback)
    {
        Objects.requireNonNull(feedback, "feedback");
        checkArguments(buffer, ElementType.FLOAT, elementCount);
        final UnsafeBuffer residual = feedback.residualFor(elementCount);
        operations++;
        if (worldSize > 1)
        {
            reduce(buffer, ElementType.FLOAT, elementCount, feedback.format(), feedback);
        }
        else
        {
            // Alone there is no wire: the sum is exact and takes back anything left from before.
            Reducer.add(new UnsafeBuffer(buffer), 0, residual, 0, (int)elementCount, ElementType.FLOAT);
            residual.setMemory(0, (int)elementCount * Float.BYTES, (byte)0);
        }
    }

    /** Quantized sum of a float array across all ranks, in place (see {@link #sum(ByteBuffer, long, ErrorFeedback)}). */
    public void sum(final float[] values, final ErrorFeedback feedback)
    {
        final ByteBuffer buffer = arrayBuffer((long)values.length * Float.BYTES);
        buffer.asFloatBuffer().put(values);
        sum(buffer, values.length, feedback);
        buffer.asFloatBuffer().get(values);
    }

    private void checkArguments(final ByteBuffer buffer, final ElementType type, final long elementCount)
    {
        checkUsable();
        Reducer.requireSummable(buffer, type, elementCount);
    }

    /** Sum a float array across all ranks, in place (copied through a reused direct buffer). */
    public void sum(final float[] values)
    {
        final ByteBuffer buffer = arrayBuffer((long)values.length * Float.BYTES);
        buffer.asFloatBuffer().put(values);
        sum(buffer, ElementType.FLOAT, values.length);
        buffer.asFloatBuffer().get(values);
    }

    /** Sum a double array across all ranks, in place (copied through a reused direct buffer). */
    public void sum(final double[] values)
    {
        final ByteBuffer buffer = arrayBuffer((long)values.length * Double.BYTES);
        buffer.asDoubleBuffer().put(values);
        sum(buffer, ElementType.DOUBLE, values.length);
        buffer.asDoubleBuffer().get(values);
    }

    /**
     * Leave the ring because this rank's own work failed: both neighbours (and, through them, every
     * rank) fail at once naming this rank and {@code why}, instead of later reporting it merely gone.
     */
    public void abort(final String why)
    {
        if (!isClosed && null != links && null == failure)
        {
            fail(new CollectiveException(CollectiveException.Reason.RANK_FAILED, rank, links.peers[rank].endpoint,
                "rank " + rank + " failed: " + why));
        }
        close();
    }

    /**
     * Leave the ring: after a clean run, wait (at most {@link CollectiveContext#timeoutNs()}) until next has
     * read everything this rank sent, then release the publications, subscriptions and driver reference.
     * Idempotent; never throws for a peer's sake.
     */
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        try
        {
            if (null != links && null == failure)
            {
                goodbye();
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("rank {} could not leave the ring cleanly", rank, ex);
        }
        finally
        {
            CloseHelper.closeAll(links, driver);
        }
    }

    private void reduce(final ByteBuffer buffer, final ElementType type, final long elementCount,
        final WireFormat format, final ErrorFeedback feedback)
    {
        schedule.reset(elementCount, format.elementsPerChunk(links.chunkBytes, type));
        if (format == WireFormat.EXACT)
        {
            sender.begin(operations, buffer, type, format, null, null, 0);
            receiver.begin(operations, buffer, type, format, null, 0);
        }
        else
        {
            final UnsafeBuffer residual = feedback.residualFor(elementCount);
            final UnsafeBuffer values = new UnsafeBuffer(buffer);
            // This rank's contribution takes back what earlier sums could not send.
            Reducer.add(values, 0, residual, 0, (int)elementCount, ElementType.FLOAT);
            residual.setMemory(0, (int)elementCount * Float.BYTES, (byte)0);
            final UnsafeBuffer encoded = feedback.encodedFor((long)schedule.chunkSlots() * links.chunkBytes);
            sender.begin(operations, buffer, type, format, residual, encoded, links.chunkBytes);
            receiver.begin(operations, buffer, type, format, encoded, links.chunkBytes);
        }
        controlHandler.failure = null;
        driver.beginInvoking();
        try
        {
            transfer();
        }
        finally
        {
            driver.endInvoking();
        }
    }

    private void transfer()
    {
        final Image dataImage = links.dataImage;
        final Image controlImage = links.controlImage;
        long lastProgressNs = System.nanoTime();
        long lastWaitingSentNs = lastProgressNs;
        idle.reset();
        while (!sender.isDone() || receiver.remaining() > 0)
        {
            checkInterrupt();
            // Progress means chunks moved; heartbeats and polls that find nothing do not count.
            final int before = receiver.received() + sender.sent();
            final int remaining = receiver.remaining();
            if (remaining > 0)
            {
                dataImage.poll(receiver, Math.min(FRAGMENT_LIMIT, remaining));
                if (null != receiver.failure())
                {
                    throw fail(receiver.failure());
                }
            }
            for (int i = 0; i < SEND_BURST && sender.isReady(receiver.received()); i++)
            {
                final long result = sender.trySend();
                if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED ||
                    result == Publication.MAX_POSITION_EXCEEDED)
                {
                    throw failAfterGrace(peerGone(links.next, "its subscription is gone (" +
                        Publication.errorString(result) + ")"));
                }
                if (result < 0)
                {
                    break;
                }
            }
            controlImage.poll(controlHandler, FRAGMENT_LIMIT);
            if (null != controlHandler.failure)
            {
                throw fail(controlHandler.failure);
            }
            // Send what was just claimed and receive what is pending on this thread: no hand-off waits.
            int driverWork = 0;
            for (int i = 0, w; i < DRIVER_BURST && (w = driver.invokeDriver()) > 0; i++)
            {
                driverWork += w;
            }

            final long nowNs = System.nanoTime();
            if (driverWork > 0)
            {
                idle.reset();
            }
            if (receiver.received() + sender.sent() != before)
            {
                lastProgressNs = nowNs;
                idle.reset();
            }
            else
            {
                if (nowNs - lastWaitingSentNs > waitingIntervalNs() && nowNs - lastProgressNs > waitingIntervalNs())
                {
                    // Tell next we are alive but stuck, so it waits for our verdict instead of blaming us.
                    proxy.offerWaiting(links.dataPublication, operations);
                    lastWaitingSentNs = nowNs;
                }
                checkLiveness(lastProgressNs, nowNs);
                if (0 == driverWork)
                {
                    idle.idle();
                }
            }
        }
    }

    private long waitingIntervalNs()
    {
        return ctx.timeoutNs() / 4;
    }

    private void checkInterrupt()
    {
        if (Thread.currentThread().isInterrupted())
        {
            // The interrupt flag stays set for the caller.
            throw fail(new CollectiveException(INTERRUPTED, rank, links.peers[rank].endpoint,
                "rank " + rank + " was interrupted during allreduce operation " + operations));
        }
    }

    private void checkLiveness(final long lastProgressNs, final long nowNs)
    {
        final PeerInfo exited = links.exitedCoLocatedNeighbour();
        if (null != exited)
        {
            throw failAfterGrace(peerGone(exited, "its process on this host has exited"));
        }
        if (links.dataImage.isClosed())
        {
            throw failAfterGrace(peerGone(links.prev, "its data link to rank " + rank + " was lost"));
        }
        if (links.controlImage.isClosed() || !links.dataPublication.isConnected())
        {
            throw failAfterGrace(peerGone(links.next, "its link with rank " + rank + " was lost"));
        }
        final long idleNs = nowNs - lastProgressNs;
        if (idleNs > ctx.timeoutNs())
        {
            // Blocked on sending: next is not draining; otherwise we wait for data that prev does not send.
            final boolean blockedOnSend = sender.isReady(receiver.received());
            final boolean prevIsWaitingToo = nowNs - receiver.lastWaitingNs() < 2 * waitingIntervalNs();
            if (!blockedOnSend && prevIsWaitingToo && idleNs < 2 * ctx.timeoutNs())
            {
                // Prev is alive and stuck upstream of us: its abort, naming the real culprit, is coming.
                return;
            }
            final PeerInfo blamed = blockedOnSend ? links.next : links.prev;
            throw failAfterGrace(new CollectiveException(TIMEOUT, blamed.rank, blamed.endpoint, blamed.describe() +
                " made no progress for " + TimeUnit.NANOSECONDS.toMillis(idleNs) + " ms (rank " + rank +
                (blockedOnSend ? " blocked sending to it" : " waiting for its data") + ", operation " + operations +
                ", " + receiver.received() + "/" + schedule.recvTransfers() + " chunks received)"));
        }
    }

    private CollectiveException peerGone(final PeerInfo peer, final String detail)
    {
        return new CollectiveException(PEER_GONE, peer.rank, peer.endpoint, peer.describe() +
            " is gone during allreduce operation " + operations + ": " + detail + " (process, executor or driver died?)");
    }

    /**
     * A lost link or a stall may be the echo of a failure elsewhere whose abort is in flight: give the
     * neighbours a moment to tell us who is really to blame before blaming the nearest one.
     */
    private CollectiveException failAfterGrace(final CollectiveException suspected)
    {
        final long deadlineNs = System.nanoTime() + Math.min(MAX_ABORT_GRACE_NS, ctx.timeoutNs() / 10);
        abortScanner.found = null;
        idle.reset();
        while (null == abortScanner.found && System.nanoTime() - deadlineNs < 0)
        {
            abortScanner.from = links.prev;
            int work = links.dataImage.poll(abortScanner, FRAGMENT_LIMIT);
            abortScanner.from = links.next;
            work += links.controlImage.poll(abortScanner, FRAGMENT_LIMIT);
            work += driver.invokeDriver();
            if (0 == work)
            {
                idle.idle();
            }
        }
        return fail(null != abortScanner.found ? abortScanner.found : suspected);
    }

    /** Record the failure and tell both neighbours (best effort, bounded) who is to blame. */
    private CollectiveException fail(final CollectiveException ex)
    {
        if (null == failure)
        {
            failure = ex;
            LOG.warn("rank {} allreduce failed: {}", rank, ex.getMessage());
            proxy.abortNeighbours(ex, driver, links.dataPublication, links.controlPublication);
        }
        return ex;
    }

    private void goodbye()
    {
        final long deadlineNs = System.nanoTime() + ctx.timeoutNs();
        final GoodbyeReader byeReader = new GoodbyeReader();
        boolean byeSent = false;
        boolean ackSent = false;
        idle.reset();
        while (!byeSent || !ackSent || !controlHandler.ackReceived)
        {
            int work = 0;
            if (!byeSent)
            {
                final long result = proxy.offerBye(links.dataPublication, operations);
                byeSent = result > 0 || result == Publication.NOT_CONNECTED || result == Publication.CLOSED;
                controlHandler.ackReceived |= result == Publication.NOT_CONNECTED || result == Publication.CLOSED;
                work += byeSent ? 1 : 0;
            }
            if (!byeReader.byeReceived)
            {
                work += links.dataImage.poll(byeReader, 1);
                if (links.dataImage.isClosed() || byeReader.unexpected)
                {
                    byeReader.byeReceived = true;
                    ackSent = true;
                }
            }
            if (byeReader.byeReceived && !ackSent)
            {
                final long result = proxy.offerAck(links.controlPublication, operations);
                ackSent = result > 0 || result == Publication.NOT_CONNECTED || result == Publication.CLOSED;
                work += ackSent ? 1 : 0;
            }
            if (!controlHandler.ackReceived)
            {
                work += links.controlImage.poll(controlHandler, FRAGMENT_LIMIT);
                controlHandler.ackReceived |= links.controlImage.isClosed() || null != controlHandler.failure;
            }
            work += driver.invokeDriver();
            if (0 == work)
            {
                if (System.nanoTime() - deadlineNs > 0 || Thread.currentThread().isInterrupted())
                {
                    LOG.warn("rank {} left the ring without confirmation from its neighbours (bye sent {}, " +
                        "bye received {}, ack received {})", rank, byeSent, byeReader.byeReceived,
                        controlHandler.ackReceived);
                    return;
                }
                idle.idle();
            }
        }
        if (byeReader.operations >= 0 && byeReader.operations != operations)
        {
            LOG.warn("rank {} ran {} operations but {} ran {}", rank, operations, links.prev.describe(),
                byeReader.operations);
        }
    }

    private void checkUsable()
    {
        if (isClosed)
        {
            throw new IllegalStateException("allreduce of rank " + rank + " is closed");
        }
        if (null != failure)
        {
            throw new IllegalStateException("allreduce of rank " + rank + " failed earlier: " +
                failure.getMessage(), failure);
        }
    }

    private ByteBuffer arrayBuffer(final long bytes)
    {
        if (bytes > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("array of " + bytes + " bytes is too large; use sum(ByteBuffer, ...)");
        }
        if (null == arrayBuffer || arrayBuffer.capacity() < bytes)
        {
            arrayBuffer = ByteBuffer.allocateDirect((int)bytes).order(ByteOrder.nativeOrder());
        }
        arrayBuffer.clear();
        return arrayBuffer;
    }

    /** What arrives from next on the control image: aborts during an operation, the ack when leaving. */
    private static final class ControlHandler implements FragmentHandler
    {
        private final PeerInfo next;
        private final ChunkReceiver.AbortReader abortReader;
        private final SignalFlyweight signal = new SignalFlyweight();
        CollectiveException failure;
        boolean ackReceived;

        ControlHandler(final PeerInfo next, final ChunkReceiver.AbortReader abortReader)
        {
            this.next = next;
            this.abortReader = abortReader;
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            final short type = MessageHeader.typeOf(buffer, offset, length);
            if (type == MessageHeader.TYPE_ABORT)
            {
                failure = abortReader.read(buffer, offset, length, next);
            }
            else if (signal.tryWrap(buffer, offset, length, MessageHeader.TYPE_ACK))
            {
                ackReceived = true;
            }
            else if (null == failure)
            {
                failure = new CollectiveException(PROTOCOL, next.rank, next.endpoint,
                    "unexpected control message (type " + type + ") from " + next.describe());
            }
        }
    }

    /** Looks only for an abort, discarding anything else: used once the operation has failed anyway. */
    private static final class AbortScanner implements FragmentHandler
    {
        private final ChunkReceiver.AbortReader abortReader;
        PeerInfo from;
        CollectiveException found;

        AbortScanner(final ChunkReceiver.AbortReader abortReader)
        {
            this.abortReader = abortReader;
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            if (null == found && MessageHeader.typeOf(buffer, offset, length) == MessageHeader.TYPE_ABORT)
            {
                found = abortReader.read(buffer, offset, length, from);
            }
        }
    }

    /** Reads prev's bye when leaving; anything else means prev is not leaving cleanly. */
    private static final class GoodbyeReader implements FragmentHandler
    {
        private final SignalFlyweight signal = new SignalFlyweight();
        boolean byeReceived;
        boolean unexpected;
        long operations = -1;

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            if (signal.tryWrap(buffer, offset, length, MessageHeader.TYPE_BYE))
            {
                byeReceived = true;
                operations = signal.operations();
            }
            else if (MessageHeader.typeOf(buffer, offset, length) == MessageHeader.TYPE_WAITING)
            {
                return;
            }
            else
            {
                unexpected = true;
            }
        }
    }
}
