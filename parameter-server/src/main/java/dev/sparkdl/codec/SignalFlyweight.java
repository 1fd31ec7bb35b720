package dev.sparkdl.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static dev.sparkdl.codec.MessageHeader.ORDER;

/**
 * A bodiless signal: BYE (sent downstream after the last chunk, on close), ACK (sent upstream once
 * the BYE is read, so the upstream rank knows all its data arrived before it stops its driver) and
 * WAITING (sent downstream while a rank waits without progress: it is alive and not the one to blame).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |  type (BYE, ACK or WAITING)   |            version            |  0
 *  +-------------------------------+-------------------------------+
 *  |                          sender rank                          |  4
 *  +---------------------------------------------------------------+
 *  |             operations completed by the sender (int64)        |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class SignalFlyweight
{
    public static final int OPERATIONS_OFFSET = 8;
    public static final int LENGTH = 16;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * @param expectedType {@link MessageHeader#TYPE_BYE}, {@link MessageHeader#TYPE_ACK} or
     *                     {@link MessageHeader#TYPE_WAITING}.
     * @return true when the message is a complete signal of that type, false (nothing wrapped) otherwise.
     */
    public boolean tryWrap(final DirectBuffer buffer, final int offset, final int length, final short expectedType)
    {
        if (length != LENGTH || MessageHeader.typeOf(buffer, offset, length) != expectedType)
        {
            return false;
        }
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return true;
    }

    /** Wrap a buffer of at least {@link #LENGTH} bytes for encoding; writes the header. */
    public SignalFlyweight wrapForEncode(
        final MutableDirectBuffer buffer, final int offset, final short type, final int senderRank)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        MessageHeader.encode(buffer, offset, type, senderRank);
        return this;
    }

    public int senderRank()
    {
        return MessageHeader.senderRank(buffer, offset);
    }

    public long operations()
    {
        return buffer.getLong(offset + OPERATIONS_OFFSET, ORDER);
    }

    public SignalFlyweight operations(final long count)
    {
        mutableBuffer.putLong(offset + OPERATIONS_OFFSET, count, ORDER);
        return this;
    }
}
