package dev.sparkdl.collective;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** Element-wise in-place addition in native byte order: the reduction of the reduce-scatter phase. */
final class Reducer
{
    private Reducer()
    {
    }

    /** {@code dst[i] = dst[i] + src[i]} for {@code count} elements at the given byte offsets. */
    static void add(final MutableDirectBuffer dst, final int dstOffset, final DirectBuffer src, final int srcOffset,
        final int count, final ElementType type)
    {
        if (type == ElementType.FLOAT)
        {
            for (int i = 0, d = dstOffset, s = srcOffset; i < count; i++, d += Float.BYTES, s += Float.BYTES)
            {
                dst.putFloat(d, dst.getFloat(d) + src.getFloat(s));
            }
        }
        else
        {
            for (int i = 0, d = dstOffset, s = srcOffset; i < count; i++, d += Double.BYTES, s += Double.BYTES)
            {
                dst.putDouble(d, dst.getDouble(d) + src.getDouble(s));
            }
        }
    }
}
