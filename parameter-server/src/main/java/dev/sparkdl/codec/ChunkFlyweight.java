package dev.sparkdl.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static dev.sparkdl.codec.MessageHeader.ORDER;

/**
 * One chunk of a ring step: header then payload (elements in the sender's native order, which the
 * handshake checks is shared). The receiver checks every field against the chunk it expects and the
 * payload against the CRC32C, since Aeron frames carry no checksum.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          type (CHUNK)         |            version            |  0
 *  +-------------------------------+-------------------------------+
 *  |                          sender rank                          |  4
 *  +---------------------------------------------------------------+
 *  |                   operation id (int64)                        |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 step (0 .. 2 * worldSize - 3)                 | 16
 *  +---------------------------------------------------------------+
 *  |                       segment (0 .. worldSize - 1)            | 20
 *  +---------------------------------------------------------------+
 *  |                first element index (int64)                    | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                total elements of the buffer (int64)           | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 element count of this chunk                   | 40
 *  +-------------------------------+-------------------------------+
 *  |   element type (4/8 bytes)    |           reserved            | 44
 *  +-------------------------------+-------------------------------+
 *  |                        payload CRC32C                         | 48
 *  +---------------------------------------------------------------+
 *  |                    payload length in bytes                    | 52
 *  +---------------------------------------------------------------+
 *  |                          payload                             ...| 56
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ChunkFlyweight
{
    public static final int OPERATION_ID_OFFSET = 8;
    public static final int STEP_OFFSET = 16;
    public static final int SEGMENT_OFFSET = 20;
    public static final int FIRST_ELEMENT_OFFSET = 24;
    public static final int TOTAL_ELEMENTS_OFFSET = 32;
    public static final int ELEMENT_COUNT_OFFSET = 40;
    public static final int ELEMENT_TYPE_OFFSET = 44;
    public static final int RESERVED_OFFSET = 46;
    public static final int CRC_OFFSET = 48;
    public static final int PAYLOAD_LENGTH_OFFSET = 52;
    /** Header length; a multiple of 8 so doubles in the payload stay aligned. */
    public static final int HEADER_LENGTH = 56;
    public static final int PAYLOAD_OFFSET = HEADER_LENGTH;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * Wrap a received message after checking its type, that the header fits and that the declared
     * payload length matches the message length.
     *
     * @return true when it is a well-formed chunk, false (and nothing wrapped) otherwise.
     */
    public boolean tryWrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH || MessageHeader.typeOf(buffer, offset, length) != MessageHeader.TYPE_CHUNK ||
            buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER) != length - HEADER_LENGTH)
        {
            return false;
        }
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return true;
    }

    /** Wrap a buffer of at least {@link #HEADER_LENGTH} bytes for encoding; writes the message header. */
    public ChunkFlyweight wrapForEncode(final MutableDirectBuffer buffer, final int offset, final int senderRank)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        MessageHeader.encode(buffer, offset, MessageHeader.TYPE_CHUNK, senderRank);
        buffer.putShort(offset + RESERVED_OFFSET, (short)0, ORDER);
        return this;
    }

    public int senderRank()
    {
        return MessageHeader.senderRank(buffer, offset);
    }

    public long operationId()
    {
        return buffer.getLong(offset + OPERATION_ID_OFFSET, ORDER);
    }

    public ChunkFlyweight operationId(final long id)
    {
        mutableBuffer.putLong(offset + OPERATION_ID_OFFSET, id, ORDER);
        return this;
    }

    public int step()
    {
        return buffer.getInt(offset + STEP_OFFSET, ORDER);
    }

    public ChunkFlyweight step(final int step)
    {
        mutableBuffer.putInt(offset + STEP_OFFSET, step, ORDER);
        return this;
    }

    public int segment()
    {
        return buffer.getInt(offset + SEGMENT_OFFSET, ORDER);
    }

    public ChunkFlyweight segment(final int segment)
    {
        mutableBuffer.putInt(offset + SEGMENT_OFFSET, segment, ORDER);
        return this;
    }

    public long firstElement()
    {
        return buffer.getLong(offset + FIRST_ELEMENT_OFFSET, ORDER);
    }

    public ChunkFlyweight firstElement(final long index)
    {
        mutableBuffer.putLong(offset + FIRST_ELEMENT_OFFSET, index, ORDER);
        return this;
    }

    public long totalElements()
    {
        return buffer.getLong(offset + TOTAL_ELEMENTS_OFFSET, ORDER);
    }

    public ChunkFlyweight totalElements(final long count)
    {
        mutableBuffer.putLong(offset + TOTAL_ELEMENTS_OFFSET, count, ORDER);
        return this;
    }

    public int elementCount()
    {
        return buffer.getInt(offset + ELEMENT_COUNT_OFFSET, ORDER);
    }

    public ChunkFlyweight elementCount(final int count)
    {
        mutableBuffer.putInt(offset + ELEMENT_COUNT_OFFSET, count, ORDER);
        return this;
    }

    /** @return bytes per element: 4 for float, 8 for double. */
    public int elementWidth()
    {
        return buffer.getShort(offset + ELEMENT_TYPE_OFFSET, ORDER);
    }

    public ChunkFlyweight elementWidth(final int bytes)
    {
        mutableBuffer.putShort(offset + ELEMENT_TYPE_OFFSET, (short)bytes, ORDER);
        return this;
    }

    public int crc()
    {
        return buffer.getInt(offset + CRC_OFFSET, ORDER);
    }

    public ChunkFlyweight crc(final int crc)
    {
        mutableBuffer.putInt(offset + CRC_OFFSET, crc, ORDER);
        return this;
    }

    public int payloadLength()
    {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
    }

    public ChunkFlyweight payloadLength(final int length)
    {
        mutableBuffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, length, ORDER);
        return this;
    }

    /** @return offset of the payload in the wrapped buffer. */
    public int payloadOffset()
    {
        return offset + PAYLOAD_OFFSET;
    }
}
