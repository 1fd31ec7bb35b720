package dev.sparkdl.compress;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Per-chunk scaled 8-bit quantization with error feedback: scale = max|v| / 127, q = round(v / scale),
 * the receiver adds q * scale and the sender keeps v - q * scale (exact in float: for q != 0 the two
 * are within a factor of two, Sterbenz).
 *
 * <pre>
 *  payload: | scale (float32) | q (int8) x element count |
 * </pre>
 */
public final class Int8Codec implements GradientCodec
{
    private static final int HEADER = Float.BYTES;
    private static final float LEVELS = 127f;

    /** @return the scale of a chunk whose largest finite magnitude is {@code maxAbs}. */
    public static float scaleFor(final float maxAbs)
    {
        return maxAbs / LEVELS;
    }

    /** @return the level of {@code value}; 0 for values a chunk's scale cannot express (non-finite ones). */
    public static int quantize(final float value, final float scale, final float maxAbs)
    {
        return scale > 0f && Math.abs(value) <= maxAbs ? Math.max(-127, Math.min(127, Math.round(value / scale))) : 0;
    }

    public int id()
    {
        return INT8;
    }

    public String name()
    {
        return "int8";
    }

    public int elementsPerChunk(final int payloadBytes)
    {
        return payloadBytes - HEADER;
    }

    public int encode(final float[] residual, final int from, final int count, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        float maxAbs = 0f;
        for (int i = from; i < from + count; i++)
        {
            final float a = Math.abs(residual[i]);
            if (a > maxAbs && a < Float.POSITIVE_INFINITY)
            {
                maxAbs = a;
            }
        }
        final float scale = scaleFor(maxAbs);
        dst.putFloat(dstOffset, scale, ORDER);
        for (int i = 0; i < count; i++)
        {
            final float v = residual[from + i];
            final int q = quantize(v, scale, maxAbs);
            dst.putByte(dstOffset + HEADER + i, (byte)q);
            residual[from + i] = v - q * scale;
        }
        return HEADER + count;
    }

    public boolean decodeAdd(final DirectBuffer src, final int offset, final int length, final int count,
        final float[] dst, final int dstFrom)
    {
        if (count < 0 || length != HEADER + count || dstFrom < 0 || dstFrom + count > dst.length)
        {
            return false;
        }
        final float scale = src.getFloat(offset, ORDER);
        if (!(scale >= 0f) || Float.isInfinite(scale))
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            final byte q = src.getByte(offset + HEADER + i);
            if (q == Byte.MIN_VALUE)
            {
                return false;
            }
        }
        for (int i = 0; i < count; i++)
        {
            dst[dstFrom + i] += src.getByte(offset + HEADER + i) * scale;
        }
        return true;
    }
}
