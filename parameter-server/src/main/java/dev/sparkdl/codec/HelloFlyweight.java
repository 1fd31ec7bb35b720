package dev.sparkdl.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static dev.sparkdl.codec.MessageHeader.ORDER;

/**
 * First message on every link: proves the sender knows the per-fit secret. The MAC is HMAC-SHA256 over
 * the link, the ranks, the world size and the receiver's fresh nonce (so a recorded hello cannot be
 * replayed into another fit).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          type (HELLO)         |            version            |  0
 *  +-------------------------------+-------------------------------+
 *  |                          sender rank                          |  4
 *  +---------------------------------------------------------------+
 *  |                         receiver rank                         |  8
 *  +---------------------------------------------------------------+
 *  |                          world size                           | 12
 *  +---------------------------------------------------------------+
 *  |  link (1 data, 2 control, 3 ps request, 4 ps response)         | 16
 *  +---------------------------------------------------------------+
 *  |                           reserved                            | 20
 *  +---------------------------------------------------------------+
 *  |                     MAC (32 bytes)                           ...| 24
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class HelloFlyweight
{
    public static final int RECEIVER_RANK_OFFSET = 8;
    public static final int WORLD_SIZE_OFFSET = 12;
    public static final int LINK_OFFSET = 16;
    public static final int MAC_OFFSET = 24;
    public static final int MAC_LENGTH = 32;
    public static final int LENGTH = MAC_OFFSET + MAC_LENGTH;

    public static final int LINK_DATA = 1;
    public static final int LINK_CONTROL = 2;
    /** Parameter server: worker to shard owner (pushes, pulls, goodbye). */
    public static final int LINK_PS_REQUEST = 3;
    /** Parameter server: shard owner to worker (parameters, status). */
    public static final int LINK_PS_RESPONSE = 4;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * Wrap a received message after checking its length and type.
     *
     * @return true when it is a complete hello, false (and nothing wrapped) otherwise.
     */
    public boolean tryWrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length != LENGTH || MessageHeader.typeOf(buffer, offset, length) != MessageHeader.TYPE_HELLO)
        {
            return false;
        }
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return true;
    }

    /** Wrap a buffer of at least {@link #LENGTH} bytes for encoding; writes the header. */
    public HelloFlyweight wrapForEncode(final MutableDirectBuffer buffer, final int offset, final int senderRank)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        MessageHeader.encode(buffer, offset, MessageHeader.TYPE_HELLO, senderRank);
        buffer.putInt(offset + 20, 0, ORDER);
        return this;
    }

    public int senderRank()
    {
        return MessageHeader.senderRank(buffer, offset);
    }

    public int receiverRank()
    {
        return buffer.getInt(offset + RECEIVER_RANK_OFFSET, ORDER);
    }

    public HelloFlyweight receiverRank(final int rank)
    {
        mutableBuffer.putInt(offset + RECEIVER_RANK_OFFSET, rank, ORDER);
        return this;
    }

    public int worldSize()
    {
        return buffer.getInt(offset + WORLD_SIZE_OFFSET, ORDER);
    }

    public HelloFlyweight worldSize(final int worldSize)
    {
        mutableBuffer.putInt(offset + WORLD_SIZE_OFFSET, worldSize, ORDER);
        return this;
    }

    public int link()
    {
        return buffer.getInt(offset + LINK_OFFSET, ORDER);
    }

    public HelloFlyweight link(final int link)
    {
        mutableBuffer.putInt(offset + LINK_OFFSET, link, ORDER);
        return this;
    }

    /** Copy the MAC into {@code dst} (32 bytes). */
    public void getMac(final byte[] dst)
    {
        buffer.getBytes(offset + MAC_OFFSET, dst, 0, MAC_LENGTH);
    }

    public HelloFlyweight mac(final byte[] mac)
    {
        if (mac.length != MAC_LENGTH)
        {
            throw new IllegalArgumentException("MAC must be " + MAC_LENGTH + " bytes, got " + mac.length);
        }
        mutableBuffer.putBytes(offset + MAC_OFFSET, mac);
        return this;
    }
}
