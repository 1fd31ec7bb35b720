package dev.sparkdl.collective;

import dev.sparkdl.codec.ChunkFlyweight;
import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Sends the chunks of one operation to next, in schedule order, straight from the caller's buffer into
 * the publication's term (one copy, via tryClaim). Never blocks: {@link #trySend()} returns Aeron's
 * negative codes when the link is back-pressured or gone.
 */
final class ChunkSender
{
    private final int rank;
    private final RingSchedule schedule;
    private final ExclusivePublication publication;
    private final ChunkTap tap;
    private final BufferClaim claim = new BufferClaim();
    private final ChunkFlyweight chunk = new ChunkFlyweight();
    private final CRC32C crc32c = new CRC32C();
    private final UnsafeBuffer source = new UnsafeBuffer(0, 0);
    private ByteBuffer crcView;
    private ElementType type;
    private long operationId;
    private int step;
    private int chunkIndex;
    private int sent;
    private int pendingCrc;
    private int pendingCrcFor = -1;

    ChunkSender(final int rank, final RingSchedule schedule, final ExclusivePublication publication,
        final ChunkTap tap)
    {
        this.rank = rank;
        this.schedule = schedule;
        this.publication = publication;
        this.tap = tap;
    }

    void begin(final long operationId, final ByteBuffer buffer, final ElementType type)
    {
        this.operationId = operationId;
        this.type = type;
        source.wrap(buffer);
        crcView = buffer.duplicate();
        step = 0;
        chunkIndex = 0;
        sent = 0;
        pendingCrcFor = -1;
    }

    int sent()
    {
        return sent;
    }

    boolean isDone()
    {
        return sent == schedule.transfers();
    }

    /**
     * @param received chunks received so far in this operation.
     * @return whether the next chunk's data is final for its step (step 0, or its chunk of the
     * previous step has been received and reduced).
     */
    boolean isReady(final int received)
    {
        return !isDone() && (step == 0 || received > schedule.recvIndex(step - 1, chunkIndex));
    }

    /**
     * @return a positive position when the chunk went out, else Aeron's negative publication code.
     */
    long trySend()
    {
        final int segment = schedule.sendSegment(step);
        final long first = schedule.chunkStart(segment, chunkIndex);
        final int count = schedule.chunkLength(segment, chunkIndex);
        final int width = type.width();
        final int byteOffset = (int)(first * width);
        final int payloadLength = count * width;
        if (pendingCrcFor != sent)
        {
            pendingCrc = crc(byteOffset, payloadLength);
            pendingCrcFor = sent;
        }

        final long result = publication.tryClaim(ChunkFlyweight.HEADER_LENGTH + payloadLength, claim);
        if (result > 0)
        {
            final MutableDirectBuffer buffer = claim.buffer();
            final int offset = claim.offset();
            chunk.wrapForEncode(buffer, offset, rank)
                .operationId(operationId)
                .step(step)
                .segment(segment)
                .firstElement(first)
                .totalElements(schedule.elementCount())
                .elementCount(count)
                .elementWidth(width)
                .crc(pendingCrc)
                .payloadLength(payloadLength);
            buffer.putBytes(chunk.payloadOffset(), source, byteOffset, payloadLength);
            tap.onEncoded(buffer, offset, ChunkFlyweight.HEADER_LENGTH + payloadLength);
            claim.commit();
            advance(segment);
        }
        return result;
    }

    private void advance(final int segment)
    {
        sent++;
        if (++chunkIndex == schedule.chunkCount(segment))
        {
            chunkIndex = 0;
            step++;
        }
    }

    private int crc(final int byteOffset, final int length)
    {
        crc32c.reset();
        crcView.clear();
        crcView.position(byteOffset);
        crcView.limit(byteOffset + length);
        crc32c.update(crcView);
        return (int)crc32c.getValue();
    }
}
