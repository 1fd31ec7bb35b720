package dev.sparkdl.collective;

import dev.sparkdl.codec.ChunkFlyweight;
import dev.sparkdl.codec.Crc;
import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Sends the chunks of one operation to next, in schedule order, straight from the caller's buffer into
 * the publication's term (one copy, via tryClaim), its CRC32C taken over that copy while it is in the
 * cache (the caller's buffer, cold, is read once). Never blocks: {@link #trySend()} returns Aeron's
 * negative codes when the link is back-pressured or gone.
 *
 * <p>Quantized ({@link WireFormat#FP16}, {@link WireFormat#INT8}): reduce-scatter chunks are encoded from
 * the partial sums, the owner of a reduced segment encodes it once and adopts the decoded values, and
 * later all-gather steps forward the encoded bytes received, so every rank decodes the same payloads.
 *
 * <p>A chunk forwarded in the all-gather (steps after the owner's) carries the CRC32C its receiver already
 * checked over the same bytes: one pass over the chunk less per forward.
 */
final class ChunkSender
{
    private final int rank;
    private final RingSchedule schedule;
    private final ExclusivePublication publication;
    private final ChunkTap tap;
    private final ChunkReceiver receiver;
    private final BufferClaim claim = new BufferClaim();
    private final ChunkFlyweight chunk = new ChunkFlyweight();
    private final CRC32C crc32c = new CRC32C();
    private final UnsafeBuffer source = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer encodedChunk;
    private ElementType type;
    private WireFormat format = WireFormat.EXACT;
    private UnsafeBuffer residual;
    private UnsafeBuffer encoded;
    private int slotBytes;
    private int pendingLength;
    private DirectBuffer pendingSource;
    private int pendingOffset;
    private long operationId;
    private int sent;
    private int pendingCrc;
    private int pendingCrcFor = -1;
    private boolean crcFromLog;

    /** @param receiver the same operation's receiver, whose checked CRCs forwarded chunks reuse. */
    ChunkSender(final int rank, final RingSchedule schedule, final ExclusivePublication publication,
        final ChunkTap tap, final int chunkBytes, final ChunkReceiver receiver)
    {
        this.rank = rank;
        this.schedule = schedule;
        this.publication = publication;
        this.tap = tap;
        this.receiver = receiver;
        this.encodedChunk = new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(chunkBytes, 64), 64));
    }

    /**
     * @param format   EXACT, or a quantization with its {@code residual} and the {@code encoded} all-gather
     *                 chunks ({@code slotBytes} per schedule slot); both null when EXACT.
     */
    void begin(final long operationId, final ByteBuffer buffer, final ElementType type, final WireFormat format,
        final UnsafeBuffer residual, final UnsafeBuffer encoded, final int slotBytes)
    {
        this.operationId = operationId;
        this.type = type;
        this.format = format;
        this.residual = residual;
        this.encoded = encoded;
        this.slotBytes = slotBytes;
        source.wrap(buffer);
        sent = 0;
        pendingCrcFor = -1;
    }

    int sent()
    {
        return sent;
    }

    boolean isDone()
    {
        return sent == schedule.sendTransfers();
    }

    /**
     * @param received chunks received so far in this operation.
     * @return whether the next chunk's data is final for its step (step 0, or its chunk of the
     * previous step has been received and reduced).
     */
    boolean isReady(final int received)
    {
        if (isDone())
        {
            return false;
        }
        final int step = schedule.sendStep(sent);
        return step == 0 || received > schedule.recvPosition(step - 1, schedule.sendChunk(sent));
    }

    /**
     * @return a positive position when the chunk went out, else Aeron's negative publication code.
     */
    long trySend()
    {
        final int step = schedule.sendStep(sent);
        final int chunkIndex = schedule.sendChunk(sent);
        final int segment = schedule.sendSegment(step);
        final long first = schedule.chunkStart(segment, chunkIndex);
        final int count = schedule.chunkLength(segment, chunkIndex);
        final int byteOffset = (int)(first * type.width());
        if (pendingCrcFor != sent)
        {
            // Once per chunk, however often the claim is retried: encoding moves error into the residual.
            preparePayload(step, segment, chunkIndex, byteOffset, count);
            pendingCrcFor = sent;
        }

        final long result = publication.tryClaim(ChunkFlyweight.HEADER_LENGTH + pendingLength, claim);
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
                .elementWidth(format.wireWidth(type))
                .crc(pendingCrc)
                .payloadLength(pendingLength);
            buffer.putBytes(chunk.payloadOffset(), pendingSource, pendingOffset, pendingLength);
            if (crcFromLog)
            {
                // Over the copy in the log, still in the cache: the source was read once, by the copy.
                chunk.crc(crc(buffer, chunk.payloadOffset(), pendingLength));
            }
            tap.onEncoded(buffer, offset, ChunkFlyweight.HEADER_LENGTH + pendingLength);
            claim.commit();
            sent++;
        }
        return result;
    }

    private void preparePayload(final int step, final int segment, final int chunkIndex, final int byteOffset,
        final int count)
    {
        if (format == WireFormat.EXACT)
        {
            pendingSource = source;
            pendingOffset = byteOffset;
            pendingLength = count * type.width();
        }
        else if (schedule.isReduceStep(step))
        {
            pendingSource = encodedChunk;
            pendingOffset = 0;
            pendingLength = format.encode(source, byteOffset, count, encodedChunk, 0, residual, false);
        }
        else
        {
            pendingSource = encoded;
            pendingOffset = schedule.chunkSlot(segment, chunkIndex) * slotBytes;
            pendingLength = format.payloadLength(count, type);
            if (step == schedule.steps() / 2)
            {
                // This rank reduced the segment: encode it once, adopt what the others will decode.
                format.encode(source, byteOffset, count, encoded, pendingOffset, residual, true);
            }
        }
        crcFromLog = false;
        if (step > schedule.steps() / 2)
        {
            // Received in the previous all-gather step and checked there, byte for byte what goes out now.
            pendingCrc = receiver.verifiedCrc(schedule.chunkSlot(segment, chunkIndex));
        }
        else if (format == WireFormat.EXACT)
        {
            crcFromLog = true;
        }
        else
        {
            pendingCrc = crc(pendingSource, pendingOffset, pendingLength);
        }
    }

    private int crc(final DirectBuffer buffer, final int offset, final int length)
    {
        crc32c.reset();
        Crc.update(crc32c, buffer, offset, length);
        return (int)crc32c.getValue();
    }
}
