package dev.sparkdl.transport;

import java.util.HashMap;
import java.util.Map;

/**
 * The text record a rank publishes through the rendezvous: {@code PREFIX;key=value;...}. Parsed
 * here once for the ring and the parameter server; a bad record is refused, never half-read.
 */
public final class PeerRecord
{
    private PeerRecord()
    {
    }

    /**
     * @return the record's fields.
     * @throws IllegalArgumentException when the prefix, the length or any field is wrong.
     */
    public static Map<String, String> parse(final String encoded, final String prefix, final int maxLength)
    {
        if (null == encoded || encoded.length() > maxLength || !encoded.startsWith(prefix + ";"))
        {
            throw new IllegalArgumentException("not a " + prefix + " record: " +
                (null == encoded ? "null" : encoded.substring(0, Math.min(80, encoded.length()))));
        }
        final Map<String, String> fields = new HashMap<>();
        for (final String part : encoded.substring(prefix.length() + 1).split(";"))
        {
            final int eq = part.indexOf('=');
            if (eq <= 0 || null != fields.put(part.substring(0, eq), part.substring(eq + 1)))
            {
                throw new IllegalArgumentException("malformed field '" + part + "' in " + encoded);
            }
        }
        return fields;
    }

    /** @throws IllegalArgumentException when the field is missing or empty. */
    public static String field(final Map<String, String> fields, final String key)
    {
        final String value = fields.get(key);
        if (null == value || value.isEmpty())
        {
            throw new IllegalArgumentException("missing field '" + key + "'");
        }
        return value;
    }
}
