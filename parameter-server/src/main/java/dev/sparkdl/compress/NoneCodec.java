package dev.sparkdl.compress;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** Raw float32: sends every value and leaves a zero residual. */
public final class NoneCodec implements GradientCodec
{
    public int id()
    {
        return NONE;
    }

    public String name()
    {
        return "none";
    }

    public int elementsPerChunk(final int payloadBytes)
    {
        return payloadBytes / Float.BYTES;
    }

    public int encode(final float[] residual, final int from, final int count, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        for (int i = 0; i < count; i++)
        {
            dst.putFloat(dstOffset + i * Float.BYTES, residual[from + i], ORDER);
            residual[from + i] = 0f;
        }
        return count * Float.BYTES;
    }

    public boolean decodeAdd(final DirectBuffer src, final int offset, final int length, final int count,
        final float[] dst, final int dstFrom)
    {
        if (count < 0 || length != count * Float.BYTES || dstFrom < 0 || dstFrom + count > dst.length)
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            dst[dstFrom + i] += src.getFloat(offset + i * Float.BYTES, ORDER);
        }
        return true;
    }
}
