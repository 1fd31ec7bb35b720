package dev.sparkdl.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodecTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldRoundTripAChunkHeaderAndRefuseATruncatedOne()
    {
        final ChunkFlyweight encoder = new ChunkFlyweight();
        encoder.wrapForEncode(buffer, 8, 3).operationId(7).step(2).segment(1).firstElement(100)
            .totalElements(1000).elementCount(25).elementWidth(4).crc(0xCAFEBABE).payloadLength(100);
        final ChunkFlyweight decoder = new ChunkFlyweight();
        assertTrue(decoder.tryWrap(buffer, 8, ChunkFlyweight.HEADER_LENGTH + 100));
        assertEquals(3, decoder.senderRank());
        assertEquals(7, decoder.operationId());
        assertEquals(2, decoder.step());
        assertEquals(1, decoder.segment());
        assertEquals(100, decoder.firstElement());
        assertEquals(1000, decoder.totalElements());
        assertEquals(25, decoder.elementCount());
        assertEquals(4, decoder.elementWidth());
        assertEquals(0xCAFEBABE, decoder.crc());
        assertEquals(8 + ChunkFlyweight.PAYLOAD_OFFSET, decoder.payloadOffset());
        assertFalse(decoder.tryWrap(buffer, 8, ChunkFlyweight.HEADER_LENGTH + 99), "payload length mismatch");
        assertFalse(decoder.tryWrap(buffer, 8, 20), "shorter than the header");
        assertFalse(new HelloFlyweight().tryWrap(buffer, 8, ChunkFlyweight.HEADER_LENGTH + 100), "wrong type");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldRoundTripHelloAbortAndSignalsWithGuards()
    {
        final byte[] mac = new byte[HelloFlyweight.MAC_LENGTH];
        mac[0] = 42;
        new HelloFlyweight().wrapForEncode(buffer, 0, 1).receiverRank(2).worldSize(3)
            .link(HelloFlyweight.LINK_CONTROL).mac(mac);
        final HelloFlyweight hello = new HelloFlyweight();
        assertTrue(hello.tryWrap(buffer, 0, HelloFlyweight.LENGTH));
        assertEquals(1, hello.senderRank());
        assertEquals(2, hello.receiverRank());
        assertEquals(3, hello.worldSize());
        assertEquals(HelloFlyweight.LINK_CONTROL, hello.link());
        final byte[] read = new byte[HelloFlyweight.MAC_LENGTH];
        hello.getMac(read);
        assertEquals(42, read[0]);
        assertFalse(hello.tryWrap(buffer, 0, HelloFlyweight.LENGTH - 1));

        final AbortFlyweight abort = new AbortFlyweight();
        final int length = abort.wrapForEncode(buffer, 0, 4).culpritRank(1).reason(2).detail("rank 1 gone")
            .encodedLength();
        final AbortFlyweight decoded = new AbortFlyweight();
        assertTrue(decoded.tryWrap(buffer, 0, length));
        assertEquals(1, decoded.culpritRank());
        assertEquals(2, decoded.reason());
        assertEquals("rank 1 gone", decoded.detail());
        assertFalse(decoded.tryWrap(buffer, 0, length + 1), "declared detail length must match");

        new SignalFlyweight().wrapForEncode(buffer, 0, MessageHeader.TYPE_BYE, 2).operations(9);
        final SignalFlyweight signal = new SignalFlyweight();
        assertTrue(signal.tryWrap(buffer, 0, SignalFlyweight.LENGTH, MessageHeader.TYPE_BYE));
        assertEquals(9, signal.operations());
        assertFalse(signal.tryWrap(buffer, 0, SignalFlyweight.LENGTH, MessageHeader.TYPE_ACK));
        buffer.putShort(MessageHeader.VERSION_OFFSET, (short)99);
        assertEquals(MessageHeader.INVALID_TYPE, MessageHeader.typeOf(buffer, 0, SignalFlyweight.LENGTH));
    }
}
