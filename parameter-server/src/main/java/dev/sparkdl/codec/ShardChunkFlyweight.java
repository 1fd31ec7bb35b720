package dev.sparkdl.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.zip.CRC32C;

import static dev.sparkdl.codec.MessageHeader.ORDER;

/**
 * One chunk of a shard: a worker's encoded gradient (PUSH) or the owner's parameters (PARAMS). The chunk
 * covers the dense elements [first element, first element + element count) of the shard; the payload is
 * their encoding (see dev.sparkdl.compress). The CRC32C covers the header from the sender rank up to the
 * CRC field and the whole payload, so a corrupted clock, range or row count is caught like corrupted data.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |      type (PUSH or PARAMS)    |            version            |  0
 *  +-------------------------------+-------------------------------+
 *  |                          sender rank                          |  4
 *  +---------------------------------------------------------------+
 *  |                          clock (int64)                        |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          shard index                          | 16
 *  +-------------------------------+-------------------------------+
 *  |        encoding (codec id)    |           reserved            | 20
 *  +-------------------------------+-------------------------------+
 *  |                  first element (in the shard)                 | 24
 *  +---------------------------------------------------------------+
 *  |                 element count of this chunk                   | 28
 *  +---------------------------------------------------------------+
 *  |                     shard length in elements                  | 32
 *  +---------------------------------------------------------------+
 *  |                 rows behind the gradient (int32)              | 36
 *  +---------------------------------------------------------------+
 *  |                  loss sum over the rows (float64)             | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                             epoch                             | 48
 *  +---------------------------------------------------------------+
 *  |                            CRC32C                             | 52
 *  +---------------------------------------------------------------+
 *  |                    payload length in bytes                    | 56
 *  +---------------------------------------------------------------+
 *  |                           reserved                            | 60
 *  +---------------------------------------------------------------+
 *  |                          payload                             ...| 64
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ShardChunkFlyweight
{
    public static final int CLOCK_OFFSET = 8;
    public static final int SHARD_OFFSET = 16;
    public static final int ENCODING_OFFSET = 20;
    public static final int RESERVED_OFFSET = 22;
    public static final int FIRST_ELEMENT_OFFSET = 24;
    public static final int ELEMENT_COUNT_OFFSET = 28;
    public static final int SHARD_LENGTH_OFFSET = 32;
    public static final int ROWS_OFFSET = 36;
    public static final int LOSS_SUM_OFFSET = 40;
    public static final int EPOCH_OFFSET = 48;
    public static final int CRC_OFFSET = 52;
    public static final int PAYLOAD_LENGTH_OFFSET = 56;
    public static final int RESERVED2_OFFSET = 60;
    public static final int HEADER_LENGTH = 64;
    public static final int PAYLOAD_OFFSET = HEADER_LENGTH;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * Wrap a received message after checking the type, that the header fits and that the declared payload
     * length matches the message length.
     *
     * @param expectedType {@link MessageHeader#TYPE_PUSH} or {@link MessageHeader#TYPE_PARAMS}.
     * @return true when it is a well-formed chunk of that type, false (nothing wrapped) otherwise.
     */
    public boolean tryWrap(final DirectBuffer buffer, final int offset, final int length, final short expectedType)
    {
        if (length < HEADER_LENGTH || MessageHeader.typeOf(buffer, offset, length) != expectedType ||
            buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER) != length - HEADER_LENGTH ||
            buffer.getShort(offset + RESERVED_OFFSET, ORDER) != 0 || buffer.getInt(offset + RESERVED2_OFFSET, ORDER) != 0)
        {
            return false;
        }
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return true;
    }

    /** Wrap a buffer of at least {@link #HEADER_LENGTH} bytes plus payload for encoding; writes the header. */
    public ShardChunkFlyweight wrapForEncode(
        final MutableDirectBuffer buffer, final int offset, final short type, final int senderRank)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        MessageHeader.encode(buffer, offset, type, senderRank);
        buffer.putShort(offset + RESERVED_OFFSET, (short)0, ORDER);
        buffer.putInt(offset + RESERVED2_OFFSET, 0, ORDER);
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

    public ShardChunkFlyweight clock(final long clock)
    {
        mutableBuffer.putLong(offset + CLOCK_OFFSET, clock, ORDER);
        return this;
    }

    public int shard()
    {
        return buffer.getInt(offset + SHARD_OFFSET, ORDER);
    }

    public ShardChunkFlyweight shard(final int shard)
    {
        mutableBuffer.putInt(offset + SHARD_OFFSET, shard, ORDER);
        return this;
    }

    public int encoding()
    {
        return buffer.getShort(offset + ENCODING_OFFSET, ORDER);
    }

    public ShardChunkFlyweight encoding(final int codecId)
    {
        mutableBuffer.putShort(offset + ENCODING_OFFSET, (short)codecId, ORDER);
        return this;
    }

    public int firstElement()
    {
        return buffer.getInt(offset + FIRST_ELEMENT_OFFSET, ORDER);
    }

    public ShardChunkFlyweight firstElement(final int first)
    {
        mutableBuffer.putInt(offset + FIRST_ELEMENT_OFFSET, first, ORDER);
        return this;
    }

    public int elementCount()
    {
        return buffer.getInt(offset + ELEMENT_COUNT_OFFSET, ORDER);
    }

    public ShardChunkFlyweight elementCount(final int count)
    {
        mutableBuffer.putInt(offset + ELEMENT_COUNT_OFFSET, count, ORDER);
        return this;
    }

    public int shardLength()
    {
        return buffer.getInt(offset + SHARD_LENGTH_OFFSET, ORDER);
    }

    public ShardChunkFlyweight shardLength(final int length)
    {
        mutableBuffer.putInt(offset + SHARD_LENGTH_OFFSET, length, ORDER);
        return this;
    }

    public int rows()
    {
        return buffer.getInt(offset + ROWS_OFFSET, ORDER);
    }

    public ShardChunkFlyweight rows(final int rows)
    {
        mutableBuffer.putInt(offset + ROWS_OFFSET, rows, ORDER);
        return this;
    }

    public double lossSum()
    {
        return buffer.getDouble(offset + LOSS_SUM_OFFSET, ORDER);
    }

    public ShardChunkFlyweight lossSum(final double lossSum)
    {
        mutableBuffer.putDouble(offset + LOSS_SUM_OFFSET, lossSum, ORDER);
        return this;
    }

    public int epoch()
    {
        return buffer.getInt(offset + EPOCH_OFFSET, ORDER);
    }

    public ShardChunkFlyweight epoch(final int epoch)
    {
        mutableBuffer.putInt(offset + EPOCH_OFFSET, epoch, ORDER);
        return this;
    }

    public int crc()
    {
        return buffer.getInt(offset + CRC_OFFSET, ORDER);
    }

    public int payloadLength()
    {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
    }

    /** Set the payload length and then the CRC32C over the header fields and the payload, already written. */
    public ShardChunkFlyweight seal(final int payloadLength, final CRC32C crc32c)
    {
        mutableBuffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, payloadLength, ORDER);
        mutableBuffer.putInt(offset + CRC_OFFSET, computeCrc(crc32c), ORDER);
        return this;
    }

    /** @return whether the CRC32C field matches the header fields and payload. */
    public boolean isCrcValid(final CRC32C crc32c)
    {
        return computeCrc(crc32c) == crc();
    }

    /** @return offset of the payload in the wrapped buffer. */
    public int payloadOffset()
    {
        return offset + PAYLOAD_OFFSET;
    }

    /** @return header plus payload length. */
    public int encodedLength()
    {
        return HEADER_LENGTH + payloadLength();
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    private int computeCrc(final CRC32C crc32c)
    {
        crc32c.reset();
        Crc.update(crc32c, buffer, offset + MessageHeader.SENDER_RANK_OFFSET,
            CRC_OFFSET - MessageHeader.SENDER_RANK_OFFSET);
        Crc.update(crc32c, buffer, offset + PAYLOAD_OFFSET, payloadLength());
        return (int)crc32c.getValue();
    }
}
