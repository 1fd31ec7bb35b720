package dev.sparkdl.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/** Element-wise in-place addition in native byte order: the reduction of the reduce-scatter phase. */
final class Reducer
{
    private Reducer()
    {
    }

    /** The arguments every {@link Allreduce#sum} takes: a direct buffer in native order that holds the elements. */
    static void requireSummable(final ByteBuffer buffer, final ElementType type, final long elementCount)
    {
        Objects.requireNonNull(buffer, "buffer");
        Objects.requireNonNull(type, "type");
        if (!buffer.isDirect() || buffer.order() != ByteOrder.nativeOrder())
        {
            throw new IllegalArgumentException("buffer must be direct and in native byte order (" +
                ByteOrder.nativeOrder() + "), got direct=" + buffer.isDirect() + " order=" + buffer.order());
        }
        if (elementCount < 0 || elementCount > buffer.capacity() / type.width())
        {
            throw new IllegalArgumentException("elementCount " + elementCount + " does not fit a buffer of " +
                buffer.capacity() + " bytes of " + type);
        }
    }

    /**
     * {@code dst[i] = dst[i] + src[i]} for {@code count} elements at the given byte offsets. Both ranges are
     * bounds-checked once, then read by address: the per-element checks of {@code getFloat/putFloat} made
     * this loop 2.5x slower, the largest CPU cost of a reduce-scatter step after the kernel's copies.
     */
    static void add(final MutableDirectBuffer dst, final int dstOffset, final DirectBuffer src, final int srcOffset,
        final int count, final ElementType type)
    {
        final int bytes = count * type.width();
        dst.boundsCheck(dstOffset, bytes);
        src.boundsCheck(srcOffset, bytes);
        final byte[] dstArray = dst.byteArray();
        final byte[] srcArray = src.byteArray();
        final long d = dst.addressOffset() + dstOffset;
        final long s = src.addressOffset() + srcOffset;
        if (type == ElementType.FLOAT)
        {
            for (long i = 0; i < bytes; i += Float.BYTES)
            {
                UnsafeApi.putFloat(dstArray, d + i, UnsafeApi.getFloat(dstArray, d + i) + UnsafeApi.getFloat(srcArray, s + i));
            }
        }
        else
        {
            for (long i = 0; i < bytes; i += Double.BYTES)
            {
                UnsafeApi.putDouble(dstArray, d + i,
                    UnsafeApi.getDouble(dstArray, d + i) + UnsafeApi.getDouble(srcArray, s + i));
            }
        }
    }
}
