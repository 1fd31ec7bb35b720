package dev.sparkdl.ps;

import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Map;

import dev.sparkdl.transport.PeerRecord;

/**
 * What a rank of the parameter server tells the others through the rendezvous: its driver, its two
 * inboxes (requests to its shard, replies to its worker), its Aeron directory (for co-located ranks to
 * publish through its driver, {@code CoLocatedDrivers}) and its handshake nonce. A short
 * {@code key=value;...} ASCII record, parsed strictly; never Java serialization.
 */
record ShardPeer(int rank, int worldSize, String driverId, String directory, String serverEndpoint,
    String clientEndpoint,
    int serverStream, int clientStream, byte[] nonce, String byteOrder, int payloadBytes)
{
    static final String PREFIX = "sparkdl-ps/1";
    static final int MAX_ENCODED_LENGTH = 1024;
    static final int NONCE_LENGTH = 16;

    static String nativeOrder()
    {
        return ByteOrder.nativeOrder().toString();
    }

    String encode()
    {
        return PREFIX + ";rank=" + rank + ";world=" + worldSize + ";driver=" + driverId + ";dir=" + directory +
            ";server=" + serverEndpoint +
            ";client=" + clientEndpoint + ";sstream=" + serverStream + ";cstream=" + clientStream + ";nonce=" +
            HexFormat.of().formatHex(nonce) + ";order=" + byteOrder + ";payload=" + payloadBytes;
    }

    /** @throws IllegalArgumentException when anything is missing or malformed. */
    static ShardPeer parse(final String encoded)
    {
        final Map<String, String> fields = PeerRecord.parse(encoded, PREFIX, MAX_ENCODED_LENGTH);
        final byte[] nonce = HexFormat.of().parseHex(PeerRecord.field(fields, "nonce"));
        if (nonce.length != NONCE_LENGTH)
        {
            throw new IllegalArgumentException("nonce must have " + NONCE_LENGTH + " bytes in " + encoded);
        }
        return new ShardPeer(Integer.parseInt(PeerRecord.field(fields, "rank")), Integer.parseInt(PeerRecord.field(fields, "world")),
            PeerRecord.field(fields, "driver"), PeerRecord.field(fields, "dir"), PeerRecord.field(fields, "server"), PeerRecord.field(fields, "client"),
            Integer.parseInt(PeerRecord.field(fields, "sstream")), Integer.parseInt(PeerRecord.field(fields, "cstream")), nonce,
            PeerRecord.field(fields, "order"), Integer.parseInt(PeerRecord.field(fields, "payload")));
    }

    /** @return "rank r (host:port)" for error messages. */
    String describe()
    {
        return "rank " + rank + " (" + serverEndpoint + ")";
    }
}
