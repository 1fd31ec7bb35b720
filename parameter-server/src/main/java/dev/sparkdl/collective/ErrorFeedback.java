package dev.sparkdl.collective;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Objects;

/**
 * One rank's residual for quantized sums of one float vector: what quantization took from the values
 * this rank sent, added back into its contribution to the next sum, so nothing is lost over steps.
 * Also holds the encoded chunks of the all-gather, which are forwarded byte for byte so that every rank
 * decodes the same payloads. Used by one thread, with one vector length.
 */
public final class ErrorFeedback
{
    private final WireFormat format;
    private long length = -1;
    private UnsafeBuffer residual;
    private UnsafeBuffer encoded = new UnsafeBuffer(new byte[0]);

    /** @param format FP16 or INT8. */
    public ErrorFeedback(final WireFormat format)
    {
        this.format = Objects.requireNonNull(format, "format");
        if (format == WireFormat.EXACT)
        {
            throw new IllegalArgumentException("an exact sum has no residual; use RingAllreduce.sum without one");
        }
    }

    public WireFormat format()
    {
        return format;
    }

    /** @return the residual of element {@code index} (0 before the first sum). */
    public float residual(final long index)
    {
        return null == residual ? 0f : residual.getFloat(Math.toIntExact(index * Float.BYTES));
    }

    /** Size the buffers for a vector of {@code elementCount} floats; the length may not change later. */
    UnsafeBuffer residualFor(final long elementCount)
    {
        if (length < 0)
        {
            final int bytes = Math.toIntExact(elementCount * Float.BYTES);
            residual = new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(bytes, Float.BYTES), 64));
            length = elementCount;
        }
        else if (length != elementCount)
        {
            throw new IllegalArgumentException("this ErrorFeedback holds the residual of " + length +
                " elements, not " + elementCount + ": use one per vector");
        }
        return residual;
    }

    /** @return a buffer of at least {@code bytes} for encoded all-gather chunks (reused). */
    UnsafeBuffer encodedFor(final long bytes)
    {
        if (encoded.capacity() < bytes)
        {
            encoded = new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.toIntExact(bytes), 64));
        }
        return encoded;
    }
}
