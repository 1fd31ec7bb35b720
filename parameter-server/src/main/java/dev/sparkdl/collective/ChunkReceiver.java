package dev.sparkdl.collective;

import dev.sparkdl.codec.AbortFlyweight;
import dev.sparkdl.codec.ChunkFlyweight;
import dev.sparkdl.codec.Crc;
import dev.sparkdl.codec.MessageHeader;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import static dev.sparkdl.collective.CollectiveException.Reason.CORRUPT_CHUNK;
import static dev.sparkdl.collective.CollectiveException.Reason.PEER_GONE;
import static dev.sparkdl.collective.CollectiveException.Reason.PROTOCOL;

/**
 * Handles what arrives on the data image from prev during an operation: checks each chunk against the
 * one the schedule expects and against its CRC32C, then reduces it into (reduce-scatter) or copies it
 * over (all-gather) the caller's buffer. A failure is recorded, not thrown, so the poll loop decides
 * what to tell the neighbours.
 */
final class ChunkReceiver implements FragmentHandler
{
    private final RingSchedule schedule;
    private final PeerInfo prev;
    private final AbortReader abortReader;
    private final ChunkFlyweight chunk = new ChunkFlyweight();
    private final CRC32C crc32c = new CRC32C();
    private final UnsafeBuffer target = new UnsafeBuffer(0, 0);
    private int[] verifiedCrcs = new int[0];
    private ElementType type;
    private WireFormat format = WireFormat.EXACT;
    private UnsafeBuffer encoded;
    private int slotBytes;
    private long operationId;
    private int received;
    private CollectiveException failure;
    private long lastWaitingNs;

    ChunkReceiver(final RingSchedule schedule, final PeerInfo prev, final AbortReader abortReader)
    {
        this.schedule = schedule;
        this.prev = prev;
        this.abortReader = abortReader;
    }

    /** @param format EXACT, or a quantization with the buffer that keeps encoded all-gather chunks to forward. */
    void begin(final long operationId, final ByteBuffer buffer, final ElementType type, final WireFormat format,
        final UnsafeBuffer encoded, final int slotBytes)
    {
        this.operationId = operationId;
        this.type = type;
        this.format = format;
        this.encoded = encoded;
        this.slotBytes = slotBytes;
        target.wrap(buffer);
        if (verifiedCrcs.length < schedule.chunkSlots())
        {
            verifiedCrcs = new int[schedule.chunkSlots()];
        }
        received = 0;
        failure = null;
        lastWaitingNs = 0;
    }

    /** @return when prev last said it is alive but waiting (System.nanoTime), 0 if not in this operation. */
    long lastWaitingNs()
    {
        return lastWaitingNs;
    }

    /**
     * @return the CRC32C checked on all-gather chunk {@code slot} as it now lies in the buffer (or the encoded
     * chunks): forwarding it unchanged, the sender need not compute it again.
     */
    int verifiedCrc(final int slot)
    {
        return verifiedCrcs[slot];
    }

    int received()
    {
        return received;
    }

    int remaining()
    {
        return schedule.recvTransfers() - received;
    }

    CollectiveException failure()
    {
        return failure;
    }

    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (null != failure)
        {
            return;
        }
        final short type = MessageHeader.typeOf(buffer, offset, length);
        if (type == MessageHeader.TYPE_ABORT)
        {
            failure = abortReader.read(buffer, offset, length, prev);
        }
        else if (type == MessageHeader.TYPE_WAITING)
        {
            lastWaitingNs = System.nanoTime();
        }
        else if (type == MessageHeader.TYPE_BYE)
        {
            failure = new CollectiveException(PEER_GONE, prev.rank, prev.endpoint,
                prev.describe() + " closed its allreduce while this rank was still reducing");
        }
        else if (!chunk.tryWrap(buffer, offset, length))
        {
            failure = new CollectiveException(PROTOCOL, prev.rank, prev.endpoint, "malformed message (type " + type +
                ", " + length + " bytes) from " + prev.describe());
        }
        else
        {
            onChunk(buffer);
        }
    }

    private void onChunk(final DirectBuffer buffer)
    {
        final int step = schedule.recvStep(received);
        final int chunkIndex = schedule.recvChunk(received);
        final int segment = schedule.recvSegment(step);
        final long first = schedule.chunkStart(segment, chunkIndex);
        final int count = schedule.chunkLength(segment, chunkIndex);
        final int width = format.wireWidth(type);
        final int payloadLength = format.payloadLength(count, type);
        if (chunk.operationId() != operationId || chunk.step() != step || chunk.segment() != segment ||
            chunk.firstElement() != first || chunk.elementCount() != count ||
            chunk.totalElements() != schedule.elementCount() || chunk.elementWidth() != width ||
            chunk.senderRank() != prev.rank || chunk.payloadLength() != payloadLength)
        {
            failure = new CollectiveException(PROTOCOL, prev.rank, prev.endpoint, "unexpected chunk from " +
                prev.describe() + ": got operation " + chunk.operationId() + " step " + chunk.step() + " segment " +
                chunk.segment() + " elements [" + chunk.firstElement() + ", +" + chunk.elementCount() + ") of " +
                chunk.totalElements() + " x " + chunk.elementWidth() + " bytes in " + chunk.payloadLength() +
                "; expected operation " + operationId + " step " + step + " segment " + segment + " elements [" +
                first + ", +" + count + ") of " + schedule.elementCount() + " x " + width + " bytes in " +
                payloadLength + " (did every rank pass the same length, type and compression?)");
            return;
        }

        final int byteOffset = (int)(first * type.width());
        final int actualCrc;
        if (schedule.isReduceStep(step))
        {
            // Checked and reduced where it lies: a frame in the image is written once and never rewritten
            // (the receiver skips duplicates), so the bytes checked are the bytes added.
            actualCrc = crc(buffer, chunk.payloadOffset(), payloadLength);
            if (actualCrc == chunk.crc())
            {
                if (format == WireFormat.EXACT)
                {
                    Reducer.add(target, byteOffset, buffer, chunk.payloadOffset(), count, type);
                }
                else
                {
                    format.decode(buffer, chunk.payloadOffset(), count, target, byteOffset, true);
                }
            }
        }
        else if (format == WireFormat.EXACT)
        {
            // The all-gather copies the owner's final segment unchanged: every rank ends bit-identical.
            target.putBytes(byteOffset, buffer, chunk.payloadOffset(), payloadLength);
            actualCrc = crc(target, byteOffset, payloadLength);
        }
        else
        {
            // Keep the owner's encoded bytes to forward unchanged; every rank decodes the same payload.
            final int slot = schedule.chunkSlot(segment, chunkIndex) * slotBytes;
            encoded.putBytes(slot, buffer, chunk.payloadOffset(), payloadLength);
            actualCrc = crc(encoded, slot, payloadLength);
            if (actualCrc == chunk.crc())
            {
                format.decode(encoded, slot, count, target, byteOffset, false);
            }
        }
        if (actualCrc != chunk.crc())
        {
            failure = new CollectiveException(CORRUPT_CHUNK, prev.rank, prev.endpoint, "chunk from " +
                prev.describe() + " (operation " + operationId + " step " + step + " segment " + segment +
                " elements [" + first + ", +" + count + ")) has CRC32C " + Integer.toHexString(actualCrc) +
                " but was sent with " + Integer.toHexString(chunk.crc()));
            return;
        }
        if (!schedule.isReduceStep(step))
        {
            verifiedCrcs[schedule.chunkSlot(segment, chunkIndex)] = actualCrc;
        }

        received++;
    }

    private int crc(final DirectBuffer buffer, final int offset, final int length)
    {
        crc32c.reset();
        Crc.update(crc32c, buffer, offset, length);
        return (int)crc32c.getValue();
    }

    /** Turns abort messages into the exception to throw, naming the culprit the sender named. */
    static final class AbortReader
    {
        private final AbortFlyweight abort = new AbortFlyweight();
        private final PeerInfo[] peers;

        AbortReader(final PeerInfo[] peers)
        {
            this.peers = peers;
        }

        CollectiveException read(final DirectBuffer buffer, final int offset, final int length, final PeerInfo from)
        {
            if (!abort.tryWrap(buffer, offset, length))
            {
                return new CollectiveException(PROTOCOL, from.rank, from.endpoint,
                    "malformed abort from " + from.describe());
            }
            final int culprit = abort.culpritRank();
            final boolean known = culprit >= 0 && culprit < peers.length;
            return new CollectiveException(CollectiveException.Reason.fromCode(abort.reason()),
                known ? culprit : CollectiveException.NO_RANK, known ? peers[culprit].endpoint : null,
                "reported by " + from.describe() + ": " + abort.detail());
        }
    }
}
