package dev.sparkdl.collective;

import dev.sparkdl.codec.AbortFlyweight;
import dev.sparkdl.codec.HelloFlyweight;
import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.codec.SignalFlyweight;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import dev.sparkdl.transport.MediaDriverHandle;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/** Encodes and offers the small control messages (hello, abort, bye, ack) of one rank. */
final class RingProxy
{
    /** How long a failing rank tries to offer, then push out, its abort. */
    private static final long ABORT_OFFER_TIMEOUT_NS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(200);

    private final int rank;
    private final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(1024, 64));
    private final HelloFlyweight hello = new HelloFlyweight();
    private final AbortFlyweight abort = new AbortFlyweight();
    private final SignalFlyweight signal = new SignalFlyweight();

    RingProxy(final int rank)
    {
        this.rank = rank;
    }

    /** @return Aeron's offer result: a position when positive, else {@link Publication#BACK_PRESSURED} etc. */
    long offerHello(final ExclusivePublication publication, final int link, final int receiverRank,
        final int worldSize, final byte[] proof)
    {
        hello.wrapForEncode(buffer, 0, rank).receiverRank(receiverRank).worldSize(worldSize).link(link).mac(proof);
        return publication.offer(buffer, 0, HelloFlyweight.LENGTH);
    }

    long offerAbort(final ExclusivePublication publication, final CollectiveException failure)
    {
        abort.wrapForEncode(buffer, 0, rank)
            .culpritRank(failure.culpritRank())
            .reason(failure.reason().code())
            .detail(failure.getMessage());
        return publication.offer(buffer, 0, abort.encodedLength());
    }

    /**
     * Best effort, bounded: tell both neighbours who is to blame, on each publication that is connected, then
     * push the aborts out at once (a driver run on this thread may be closed before anyone else runs it).
     */
    void abortNeighbours(final CollectiveException failure, final MediaDriverHandle driver,
        final ExclusivePublication... publications)
    {
        for (final ExclusivePublication publication : publications)
        {
            final long deadlineNs = System.nanoTime() + ABORT_OFFER_TIMEOUT_NS;
            long result;
            while (null != publication && publication.isConnected() &&
                ((result = offerAbort(publication, failure)) == Publication.BACK_PRESSURED ||
                result == Publication.ADMIN_ACTION) && System.nanoTime() - deadlineNs < 0)
            {
                if (0 == driver.invokeDriver())
                {
                    Thread.onSpinWait();
                }
            }
        }
        final long deadlineNs = System.nanoTime() + ABORT_OFFER_TIMEOUT_NS;
        while (driver.invokeDriver() > 0 && System.nanoTime() - deadlineNs < 0)
        {
            Thread.onSpinWait();
        }
    }

    long offerSignal(final ExclusivePublication publication, final short type, final long operations)
    {
        signal.wrapForEncode(buffer, 0, type, rank).operations(operations);
        return publication.offer(buffer, 0, SignalFlyweight.LENGTH);
    }

    long offerBye(final ExclusivePublication publication, final long operations)
    {
        return offerSignal(publication, MessageHeader.TYPE_BYE, operations);
    }

    long offerWaiting(final ExclusivePublication publication, final long operationId)
    {
        return offerSignal(publication, MessageHeader.TYPE_WAITING, operationId);
    }

    long offerAck(final ExclusivePublication publication, final long operations)
    {
        return offerSignal(publication, MessageHeader.TYPE_ACK, operations);
    }
}
