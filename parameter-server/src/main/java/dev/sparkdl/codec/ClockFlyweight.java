package dev.sparkdl.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static dev.sparkdl.codec.MessageHeader.ORDER;

/**
 * A staleness-clock message of the parameter server. PULL (worker to shard owner): send the shard's
 * parameters once {@code clock} clocks are applied. SHARD_STATUS (owner to a waiting worker): the shard
 * has applied {@code clock} clocks and waits for {@code rank}, whose pushes reached {@code rankClock}
 * clocks; it also reports the frames it rejected and the last sender it rejected one from.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |   type (PULL or SHARD_STATUS) |            version            |  0
 *  +-------------------------------+-------------------------------+
 *  |                          sender rank                          |  4
 *  +---------------------------------------------------------------+
 *  |                          clock (int64)                        |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          shard index                          | 16
 *  +---------------------------------------------------------------+
 *  |             rank (the slowest worker; -1 if none)             | 20
 *  +---------------------------------------------------------------+
 *  |                  clocks pushed by rank (int64)                | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       rejected frames                         | 32
 *  +---------------------------------------------------------------+
 *  |             last rank a frame was rejected from (-1)          | 36
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ClockFlyweight
{
    public static final int CLOCK_OFFSET = 8;
    public static final int SHARD_OFFSET = 16;
    public static final int RANK_OFFSET = 20;
    public static final int RANK_CLOCK_OFFSET = 24;
    public static final int REJECTED_OFFSET = 32;
    public static final int REJECTED_FROM_OFFSET = 36;
    public static final int LENGTH = 40;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * @param expectedType {@link MessageHeader#TYPE_PULL} or {@link MessageHeader#TYPE_SHARD_STATUS}.
     * @return true when the message is a complete one of that type, false (nothing wrapped) otherwise.
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

    /** Wrap a buffer of at least {@link #LENGTH} bytes for encoding; writes the header and clears the rest. */
    public ClockFlyweight wrapForEncode(
        final MutableDirectBuffer buffer, final int offset, final short type, final int senderRank)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        MessageHeader.encode(buffer, offset, type, senderRank);
        buffer.setMemory(offset + CLOCK_OFFSET, LENGTH - CLOCK_OFFSET, (byte)0);
        buffer.putInt(offset + RANK_OFFSET, -1, ORDER);
        buffer.putInt(offset + REJECTED_FROM_OFFSET, -1, ORDER);
        return this;
    }

    public int senderRank()
    {
        return MessageHeader.senderRank(buffer, offset);
    }

    public long clock()
    {
        return buffer.getLong(offset + CLOCK_OFFSET, ORDER);
    }

    public ClockFlyweight clock(final long clock)
    {
        mutableBuffer.putLong(offset + CLOCK_OFFSET, clock, ORDER);
        return this;
    }

    public int shard()
    {
        return buffer.getInt(offset + SHARD_OFFSET, ORDER);
    }

    public ClockFlyweight shard(final int shard)
    {
        mutableBuffer.putInt(offset + SHARD_OFFSET, shard, ORDER);
        return this;
    }

    public int rank()
    {
        return buffer.getInt(offset + RANK_OFFSET, ORDER);
    }

    public ClockFlyweight rank(final int rank)
    {
        mutableBuffer.putInt(offset + RANK_OFFSET, rank, ORDER);
        return this;
    }

    public long rankClock()
    {
        return buffer.getLong(offset + RANK_CLOCK_OFFSET, ORDER);
    }

    public ClockFlyweight rankClock(final long clock)
    {
        mutableBuffer.putLong(offset + RANK_CLOCK_OFFSET, clock, ORDER);
        return this;
    }

    public int rejected()
    {
        return buffer.getInt(offset + REJECTED_OFFSET, ORDER);
    }

    public ClockFlyweight rejected(final int count)
    {
        mutableBuffer.putInt(offset + REJECTED_OFFSET, count, ORDER);
        return this;
    }

    public int rejectedFrom()
    {
        return buffer.getInt(offset + REJECTED_FROM_OFFSET, ORDER);
    }

    public ClockFlyweight rejectedFrom(final int rank)
    {
        mutableBuffer.putInt(offset + REJECTED_FROM_OFFSET, rank, ORDER);
        return this;
    }
}
