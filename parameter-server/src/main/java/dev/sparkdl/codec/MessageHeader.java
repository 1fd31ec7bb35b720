package dev.sparkdl.codec;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The header every collective message starts with.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |             type              |            version            |  0
 *  +-------------------------------+-------------------------------+
 *  |                          sender rank                          |  4
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class MessageHeader
{
    public static final int TYPE_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int SENDER_RANK_OFFSET = 4;
    public static final int LENGTH = 8;

    /** Version of this wire format; a peer on another version is refused. */
    public static final short CURRENT_VERSION = 1;

    public static final short TYPE_HELLO = 1;
    public static final short TYPE_CHUNK = 2;
    public static final short TYPE_ABORT = 3;
    public static final short TYPE_BYE = 4;
    public static final short TYPE_ACK = 5;
    public static final short TYPE_WAITING = 6;
    /** Parameter server: a worker's gradient chunk for a shard. */
    public static final short TYPE_PUSH = 16;
    /** Parameter server: a chunk of a shard's parameters, answering a pull. */
    public static final short TYPE_PARAMS = 17;
    /** Parameter server: a worker asks for a shard's parameters once its clock reaches a minimum. */
    public static final short TYPE_PULL = 18;
    /** Parameter server: a shard tells a waiting worker its clock and the slowest worker. */
    public static final short TYPE_SHARD_STATUS = 19;

    /** Returned by {@link #typeOf} for a message too short or of another version. */
    public static final short INVALID_TYPE = -1;

    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private MessageHeader()
    {
    }

    /**
     * @param buffer holding the message.
     * @param offset of the message.
     * @param length of the message.
     * @return the message type, or {@link #INVALID_TYPE} when too short or of another version.
     */
    public static short typeOf(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < LENGTH || buffer.getShort(offset + VERSION_OFFSET, ORDER) != CURRENT_VERSION)
        {
            return INVALID_TYPE;
        }
        return buffer.getShort(offset + TYPE_OFFSET, ORDER);
    }

    /**
     * @param buffer holding the message.
     * @param offset of the message, of at least {@link #LENGTH} bytes (check with {@link #typeOf} first).
     * @return the sender's rank.
     */
    public static int senderRank(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + SENDER_RANK_OFFSET, ORDER);
    }

    static void encode(final org.agrona.MutableDirectBuffer buffer, final int offset, final short type,
        final int senderRank)
    {
        buffer.putShort(offset + TYPE_OFFSET, type, ORDER);
        buffer.putShort(offset + VERSION_OFFSET, CURRENT_VERSION, ORDER);
        buffer.putInt(offset + SENDER_RANK_OFFSET, senderRank, ORDER);
    }
}
