package dev.sparkdl.collective;

import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Map;

import dev.sparkdl.transport.PeerRecord;

/**
 * What a rank tells the others through the rendezvous: where to reach it and what it expects. Encoded
 * as a short {@code key=value;...} ASCII string (never Java serialization) and parsed strictly.
 */
final class PeerInfo
{
    static final String PREFIX = "sparkdl-ring/1";
    static final int MAX_ENCODED_LENGTH = 1024;
    static final int NONCE_LENGTH = 16;

    final int rank;
    final int worldSize;
    final String driverId;
    /** Its Aeron directory, for co-located ranks to publish through its driver ({@code CoLocatedDrivers}). */
    final String directory;
    final String endpoint;
    final int streamId;
    final byte[] nonce;
    final String byteOrder;
    final int chunkBytes;

    PeerInfo(final int rank, final int worldSize, final String driverId, final String directory,
        final String endpoint, final int streamId, final byte[] nonce, final String byteOrder, final int chunkBytes)
    {
        this.rank = rank;
        this.worldSize = worldSize;
        this.driverId = driverId;
        this.directory = directory;
        this.endpoint = endpoint;
        this.streamId = streamId;
        this.nonce = nonce;
        this.byteOrder = byteOrder;
        this.chunkBytes = chunkBytes;
    }

    static String nativeOrder()
    {
        return ByteOrder.nativeOrder().toString();
    }

    String encode()
    {
        return PREFIX + ";rank=" + rank + ";world=" + worldSize + ";driver=" + driverId + ";dir=" + directory +
            ";endpoint=" + endpoint + ";stream=" + streamId + ";nonce=" + HexFormat.of().formatHex(nonce) + ";order=" + byteOrder +
            ";chunk=" + chunkBytes;
    }

    /**
     * @param encoded what {@link #encode()} produced on some rank.
     * @return the parsed info.
     * @throws IllegalArgumentException when anything is missing or malformed.
     */
    static PeerInfo parse(final String encoded)
    {
        final Map<String, String> fields = PeerRecord.parse(encoded, PREFIX, MAX_ENCODED_LENGTH);
        final byte[] nonce = HexFormat.of().parseHex(PeerRecord.field(fields, "nonce"));
        if (nonce.length != NONCE_LENGTH)
        {
            throw new IllegalArgumentException("nonce must have " + NONCE_LENGTH + " bytes in " + encoded);
        }
        return new PeerInfo(Integer.parseInt(PeerRecord.field(fields, "rank")), Integer.parseInt(PeerRecord.field(fields, "world")),
            PeerRecord.field(fields, "driver"), PeerRecord.field(fields, "dir"), PeerRecord.field(fields, "endpoint"), Integer.parseInt(PeerRecord.field(fields, "stream")), nonce,
            PeerRecord.field(fields, "order"), Integer.parseInt(PeerRecord.field(fields, "chunk")));
    }

    /** @return "rank r (host:port)" for error messages. */
    String describe()
    {
        return "rank " + rank + " (" + endpoint + ")";
    }
}
