package dev.sparkdl.compress;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * IEEE half precision with error feedback: every value is sent rounded to the nearest half (magnitudes
 * above 65504 clamped) and the rounding error stays in the residual. Half the bytes of "none".
 *
 * <pre>
 *  payload: | half (binary16) x element count |
 * </pre>
 */
public final class Fp16Codec implements GradientCodec
{
    public int id()
    {
        return FP16;
    }

    public String name()
    {
        return "fp16";
    }

    public int elementsPerChunk(final int payloadBytes)
    {
        return payloadBytes / Short.BYTES;
    }

    public int encode(final float[] residual, final int from, final int count, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        for (int i = 0; i < count; i++)
        {
            final float v = residual[from + i];
            final short half = Fp16.fromFloat(Math.max(-Fp16.MAX, Math.min(Fp16.MAX, v)));
            dst.putShort(dstOffset + i * Short.BYTES, half, ORDER);
            residual[from + i] = v - Fp16.toFloat(half);
        }
        return count * Short.BYTES;
    }

    public boolean decodeAdd(final DirectBuffer src, final int offset, final int length, final int count,
        final float[] dst, final int dstFrom)
    {
        if (count < 0 || length != count * Short.BYTES || dstFrom < 0 || dstFrom + count > dst.length)
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            dst[dstFrom + i] += Fp16.toFloat(src.getShort(offset + i * Short.BYTES, ORDER));
        }
        return true;
    }
}
