package dev.sparkdl.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;

import static dev.sparkdl.codec.MessageHeader.ORDER;

/**
 * Tells a neighbour that the collective failed and which rank is to blame, so every survivor fails
 * naming the same culprit instead of timing out on its own neighbour. Forwarded around the ring.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          type (ABORT)         |            version            |  0
 *  +-------------------------------+-------------------------------+
 *  |                          sender rank                          |  4
 *  +---------------------------------------------------------------+
 *  |                         culprit rank                          |  8
 *  +---------------------------------------------------------------+
 *  |                          reason code                          | 12
 *  +---------------------------------------------------------------+
 *  |              detail length (0 .. MAX_DETAIL_LENGTH)           | 16
 *  +---------------------------------------------------------------+
 *  |                       detail (ASCII)                         ...| 20
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class AbortFlyweight
{
    public static final int CULPRIT_RANK_OFFSET = 8;
    public static final int REASON_OFFSET = 12;
    public static final int DETAIL_LENGTH_OFFSET = 16;
    public static final int DETAIL_OFFSET = 20;
    public static final int MAX_DETAIL_LENGTH = 512;
    public static final int MAX_LENGTH = DETAIL_OFFSET + MAX_DETAIL_LENGTH;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * @return true when the message is a complete abort whose detail fits, false (nothing wrapped) otherwise.
     */
    public boolean tryWrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < DETAIL_OFFSET || MessageHeader.typeOf(buffer, offset, length) != MessageHeader.TYPE_ABORT)
        {
            return false;
        }
        final int detailLength = buffer.getInt(offset + DETAIL_LENGTH_OFFSET, ORDER);
        if (detailLength < 0 || detailLength > MAX_DETAIL_LENGTH || DETAIL_OFFSET + detailLength != length)
        {
            return false;
        }
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return true;
    }

    /** Wrap a buffer of at least {@link #MAX_LENGTH} bytes for encoding; writes the header. */
    public AbortFlyweight wrapForEncode(final MutableDirectBuffer buffer, final int offset, final int senderRank)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        MessageHeader.encode(buffer, offset, MessageHeader.TYPE_ABORT, senderRank);
        buffer.putInt(offset + DETAIL_LENGTH_OFFSET, 0, ORDER);
        return this;
    }

    public int senderRank()
    {
        return MessageHeader.senderRank(buffer, offset);
    }

    public int culpritRank()
    {
        return buffer.getInt(offset + CULPRIT_RANK_OFFSET, ORDER);
    }

    public AbortFlyweight culpritRank(final int rank)
    {
        mutableBuffer.putInt(offset + CULPRIT_RANK_OFFSET, rank, ORDER);
        return this;
    }

    public int reason()
    {
        return buffer.getInt(offset + REASON_OFFSET, ORDER);
    }

    public AbortFlyweight reason(final int code)
    {
        mutableBuffer.putInt(offset + REASON_OFFSET, code, ORDER);
        return this;
    }

    public String detail()
    {
        final int length = buffer.getInt(offset + DETAIL_LENGTH_OFFSET, ORDER);
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset + DETAIL_OFFSET, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** Set the detail, truncated to {@link #MAX_DETAIL_LENGTH} ASCII bytes (non-ASCII becomes '?'). */
    public AbortFlyweight detail(final String detail)
    {
        final byte[] bytes = detail.getBytes(StandardCharsets.US_ASCII);
        final int length = Math.min(bytes.length, MAX_DETAIL_LENGTH);
        mutableBuffer.putInt(offset + DETAIL_LENGTH_OFFSET, length, ORDER);
        mutableBuffer.putBytes(offset + DETAIL_OFFSET, bytes, 0, length);
        return this;
    }

    public int encodedLength()
    {
        return DETAIL_OFFSET + buffer.getInt(offset + DETAIL_LENGTH_OFFSET, ORDER);
    }
}
