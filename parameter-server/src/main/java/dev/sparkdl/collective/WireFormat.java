package dev.sparkdl.collective;

import dev.sparkdl.compress.Fp16;
import dev.sparkdl.compress.Int8Codec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.util.Locale;

/**
 * How a ring's float chunks travel: exact, or quantized to fp16 or int8 (sums stay in float32).
 *
 * <p>{@link #encode} writes a payload and adds to the residual exactly what the payload lost
 * ({@code value - decoded}), so error feedback carries it into the next sum. Decoding is a pure
 * function of the payload bytes, so every rank that decodes the same payload gets the same floats.
 */
public enum WireFormat
{
    /** Elements as they are (float or double); no residual. */
    EXACT("none", 0)
    {
        int encodedLength(final int count)
        {
            throw new UnsupportedOperationException("EXACT chunks are copied, not encoded");
        }

        int encode(final DirectBuffer values, final int valueOffset, final int count, final MutableDirectBuffer dst,
            final int dstOffset, final MutableDirectBuffer residual, final boolean adopt)
        {
            throw new UnsupportedOperationException("EXACT chunks are copied, not encoded");
        }

        void decode(final DirectBuffer src, final int srcOffset, final int count, final MutableDirectBuffer target,
            final int targetOffset, final boolean add)
        {
            throw new UnsupportedOperationException("EXACT chunks are copied, not decoded");
        }
    },

    /** IEEE half precision, round to nearest even; magnitudes above 65504 are clamped (the rest kept). */
    FP16("fp16", Short.BYTES)
    {
        int encodedLength(final int count)
        {
            return count * Short.BYTES;
        }

        int encode(final DirectBuffer values, final int valueOffset, final int count, final MutableDirectBuffer dst,
            final int dstOffset, final MutableDirectBuffer residual, final boolean adopt)
        {
            for (int i = 0; i < count; i++)
            {
                final int at = valueOffset + i * Float.BYTES;
                final float v = values.getFloat(at);
                final short half = Fp16.fromFloat(Math.max(-Fp16.MAX, Math.min(Fp16.MAX, v)));
                final float decoded = Fp16.toFloat(half);
                dst.putShort(dstOffset + i * Short.BYTES, half, ORDER);
                settle(values, residual, at, v, decoded, adopt);
            }
            return encodedLength(count);
        }

        void decode(final DirectBuffer src, final int srcOffset, final int count, final MutableDirectBuffer target,
            final int targetOffset, final boolean add)
        {
            for (int i = 0; i < count; i++)
            {
                final float decoded = Fp16.toFloat(src.getShort(srcOffset + i * Short.BYTES, ORDER));
                final int at = targetOffset + i * Float.BYTES;
                target.putFloat(at, add ? target.getFloat(at) + decoded : decoded);
            }
        }
    },

    /** One float scale (max |value| / 127) per chunk and a signed byte per element, as {@link Int8Codec}. */
    INT8("int8", Byte.BYTES)
    {
        int encodedLength(final int count)
        {
            return Float.BYTES + count;
        }

        int encode(final DirectBuffer values, final int valueOffset, final int count, final MutableDirectBuffer dst,
            final int dstOffset, final MutableDirectBuffer residual, final boolean adopt)
        {
            float maxAbs = 0f;
            for (int i = 0; i < count; i++)
            {
                final float a = Math.abs(values.getFloat(valueOffset + i * Float.BYTES));
                if (a > maxAbs && a < Float.POSITIVE_INFINITY)
                {
                    maxAbs = a;
                }
            }
            final float scale = Int8Codec.scaleFor(maxAbs);
            dst.putFloat(dstOffset, scale, ORDER);
            for (int i = 0; i < count; i++)
            {
                final int at = valueOffset + i * Float.BYTES;
                final float v = values.getFloat(at);
                // Non-finite values cannot be scaled: they stay in the residual.
                final int q = Int8Codec.quantize(v, scale, maxAbs);
                dst.putByte(dstOffset + Float.BYTES + i, (byte)q);
                final float decoded = q * scale;
                settle(values, residual, at, v, decoded, adopt);
            }
            return encodedLength(count);
        }

        void decode(final DirectBuffer src, final int srcOffset, final int count, final MutableDirectBuffer target,
            final int targetOffset, final boolean add)
        {
            final float scale = src.getFloat(srcOffset, ORDER);
            for (int i = 0; i < count; i++)
            {
                final float decoded = src.getByte(srcOffset + Float.BYTES + i) * scale;
                final int at = targetOffset + i * Float.BYTES;
                target.putFloat(at, add ? target.getFloat(at) + decoded : decoded);
            }
        }
    };

    /** Byte order of encoded payloads. */
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final String compressionName;
    private final int wireWidth;

    WireFormat(final String compressionName, final int wireWidth)
    {
        this.compressionName = compressionName;
        this.wireWidth = wireWidth;
    }

    /**
     * @param compression "none", "fp16" or "int8" (case-insensitive), as the {@code compression} param says.
     * @return the wire format.
     * @throws IllegalArgumentException for any other name, listing the accepted ones.
     */
    public static WireFormat forCompression(final String compression)
    {
        final String key = null == compression ? "" : compression.trim().toLowerCase(Locale.ROOT);
        for (final WireFormat format : values())
        {
            if (format.compressionName.equals(key))
            {
                return format;
            }
        }
        throw new IllegalArgumentException("the ring allreduce cannot apply compression '" + compression +
            "'; it accepts none, fp16 or int8");
    }

    /** @return the compression param's value for this format. */
    public String compressionName()
    {
        return compressionName;
    }

    /** @return bytes per element on the wire, or the element type's width when EXACT. */
    int wireWidth(final ElementType type)
    {
        return this == EXACT ? type.width() : wireWidth;
    }

    /** @return how many elements one chunk of {@code payloadBytes} carries. */
    int elementsPerChunk(final int payloadBytes, final ElementType type)
    {
        return this == EXACT ? payloadBytes / type.width() : (payloadBytes - encodedLength(0)) / wireWidth;
    }

    /** @return payload bytes of {@code count} elements. */
    int payloadLength(final int count, final ElementType type)
    {
        return this == EXACT ? count * type.width() : encodedLength(count);
    }

    abstract int encodedLength(int count);

    /**
     * Encode {@code count} floats at {@code values[valueOffset]} (native order) into {@code dst}, adding what
     * is lost to the residual floats at the same byte offset.
     *
     * @param adopt also replace the values with their decoded form (the owner of a segment adopts what it sends).
     * @return payload bytes written.
     */
    abstract int encode(DirectBuffer values, int valueOffset, int count, MutableDirectBuffer dst, int dstOffset,
        MutableDirectBuffer residual, boolean adopt);

    /** Decode {@code count} elements into the floats at {@code target[targetOffset]}, adding or replacing. */
    abstract void decode(DirectBuffer src, int srcOffset, int count, MutableDirectBuffer target, int targetOffset,
        boolean add);

    /** Keeps what the wire lost in the residual and, for a segment's owner, adopts the decoded value. */
    private static void settle(final DirectBuffer values, final MutableDirectBuffer residual, final int at,
        final float value, final float decoded, final boolean adopt)
    {
        if (value != decoded)
        {
            residual.putFloat(at, residual.getFloat(at) + (value - decoded));
        }
        if (adopt)
        {
            ((MutableDirectBuffer)values).putFloat(at, decoded);
        }
    }
}
