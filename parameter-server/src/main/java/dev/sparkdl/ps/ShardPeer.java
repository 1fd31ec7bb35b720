package dev.sparkdl.ps;

import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * What a rank of the parameter server tells the others through the rendezvous: its driver, its two
 * inboxes (requests to its shard, replies to its worker) and its handshake nonce. A short
 * {@code key=value;...} ASCII record, parsed strictly; never Java serialization.
 */
record ShardPeer(int rank, int worldSize, String driverId, String serverEndpoint, String clientEndpoint,
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
        return PREFIX + ";rank=" + rank + ";world=" + worldSize + ";driver=" + driverId + ";server=" + serverEndpoint +
            ";client=" + clientEndpoint + ";sstream=" + serverStream + ";cstream=" + clientStream + ";nonce=" +
            HexFormat.of().formatHex(nonce) + ";order=" + byteOrder + ";payload=" + payloadBytes;
    }

    /** @throws IllegalArgumentException when anything is missing or malformed. */
    static ShardPeer parse(final String encoded)
    {
        if (null == encoded || encoded.length() > MAX_ENCODED_LENGTH || !encoded.startsWith(PREFIX + ";"))
        {
            throw new IllegalArgumentException("not a " + PREFIX + " record: " +
                (null == encoded ? "null" : encoded.substring(0, Math.min(80, encoded.length()))));
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
        return new ShardPeer(Integer.parseInt(field(fields, "rank")), Integer.parseInt(field(fields, "world")),
            field(fields, "driver"), field(fields, "server"), field(fields, "client"),
            Integer.parseInt(field(fields, "sstream")), Integer.parseInt(field(fields, "cstream")), nonce,
            field(fields, "order"), Integer.parseInt(field(fields, "payload")));
    }

    /** @return "rank r (host:port)" for error messages. */
    String describe()
    {
        return "rank " + rank + " (" + serverEndpoint + ")";
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
}
