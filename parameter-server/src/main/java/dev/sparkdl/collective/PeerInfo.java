package dev.sparkdl.collective;

import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

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
    final String endpoint;
    final int streamId;
    final byte[] nonce;
    final String byteOrder;
    final int chunkBytes;

    PeerInfo(final int rank, final int worldSize, final String driverId, final String endpoint, final int streamId,
        final byte[] nonce, final String byteOrder, final int chunkBytes)
    {
        this.rank = rank;
        this.worldSize = worldSize;
        this.driverId = driverId;
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
        return PREFIX + ";rank=" + rank + ";world=" + worldSize + ";driver=" + driverId + ";endpoint=" + endpoint +
            ";stream=" + streamId + ";nonce=" + HexFormat.of().formatHex(nonce) + ";order=" + byteOrder +
            ";chunk=" + chunkBytes;
    }

    /**
     * @param encoded what {@link #encode()} produced on some rank.
     * @return the parsed info.
     * @throws IllegalArgumentException when anything is missing or malformed.
     */
    static PeerInfo parse(final String encoded)
    {
        if (null == encoded || encoded.length() > MAX_ENCODED_LENGTH || !encoded.startsWith(PREFIX + ";"))
        {
            throw new IllegalArgumentException("not a " + PREFIX + " endpoint record: " + abbreviate(encoded));
        }
        final Map<String, String> fields = new HashMap<>();
        for (final String part : encoded.substring(PREFIX.length() + 1).split(";"))
        {
            final int eq = part.indexOf('=');
            if (eq <= 0 || null != fields.put(part.substring(0, eq), part.substring(eq + 1)))
            {
                throw new IllegalArgumentException("malformed field '" + part + "' in " + encoded);
            }
        }
        final byte[] nonce = HexFormat.of().parseHex(field(fields, "nonce"));
        if (nonce.length != NONCE_LENGTH)
        {
            throw new IllegalArgumentException("nonce must have " + NONCE_LENGTH + " bytes in " + encoded);
        }
        return new PeerInfo(Integer.parseInt(field(fields, "rank")), Integer.parseInt(field(fields, "world")),
            field(fields, "driver"), field(fields, "endpoint"), Integer.parseInt(field(fields, "stream")), nonce,
            field(fields, "order"), Integer.parseInt(field(fields, "chunk")));
    }

    /** @return "rank r (host:port)" for error messages. */
    String describe()
    {
        return "rank " + rank + " (" + endpoint + ")";
    }

    private static String field(final Map<String, String> fields, final String key)
    {
        final String value = fields.get(key);
        if (null == value || value.isEmpty())
        {
            throw new IllegalArgumentException("missing field '" + key + "'");
        }
        return value;
    }

    private static String abbreviate(final String s)
    {
        return null == s ? "null" : s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
