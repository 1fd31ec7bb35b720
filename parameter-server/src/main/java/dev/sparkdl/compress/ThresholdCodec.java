package dev.sparkdl.compress;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Threshold encoding with error feedback (Strom 2015; DL4J's gradient sharing): an element whose
 * residual reaches the threshold t is sent as a signed multiple m * t (m = floor(|v| / t), at most
 * {@link #MAX_MULTIPLIER}) packed with its index in one int; the rest stays in the residual. Sending
 * the multiple rather than t alone keeps v - m * t exact in float (Sterbenz: m * t <= |v| < 2 m t).
 *
 * <pre>
 *  payload: | threshold (float32) | entry (int32) ... |
 *  entry:   | sign (1) | multiplier (17) | index in chunk (14) |
 * </pre>
 */
public final class ThresholdCodec implements GradientCodec
{
    public static final int INDEX_BITS = 14;
    public static final int MAX_CHUNK_ELEMENTS = 1 << INDEX_BITS;
    public static final int MULTIPLIER_BITS = 17;
    public static final int MAX_MULTIPLIER = (1 << MULTIPLIER_BITS) - 1;
    private static final int INDEX_MASK = MAX_CHUNK_ELEMENTS - 1;
    private static final int HEADER = Float.BYTES;

    private final float threshold;

    public ThresholdCodec(final float threshold)
    {
        if (!(threshold > 0f) || Float.isInfinite(threshold))
        {
            throw new IllegalArgumentException("compressionThreshold must be finite and > 0, got " + threshold);
        }
        this.threshold = threshold;
    }

    public float threshold()
    {
        return threshold;
    }

    public int id()
    {
        return THRESHOLD;
    }

    public String name()
    {
        return "threshold";
    }

    public int elementsPerChunk(final int payloadBytes)
    {
        return Math.min(MAX_CHUNK_ELEMENTS, (payloadBytes - HEADER) / Integer.BYTES);
    }

    public int encode(final float[] residual, final int from, final int count, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        dst.putFloat(dstOffset, threshold, ORDER);
        int position = dstOffset + HEADER;
        for (int i = 0; i < count; i++)
        {
            final float v = residual[from + i];
            final float magnitude = Math.abs(v);
            if (!(magnitude >= threshold))
            {
                continue; // below the threshold, or NaN: stays in the residual
            }
            int multiplier = (int)Math.min(MAX_MULTIPLIER, Math.floor(magnitude / threshold));
            float sent = multiplier * threshold;
            while (sent > magnitude && multiplier > 1)
            {
                sent = --multiplier * threshold;
            }
            if (sent > magnitude)
            {
                continue;
            }
            final boolean negative = v < 0;
            dst.putInt(position, (negative ? 0x8000_0000 : 0) | multiplier << INDEX_BITS | i, ORDER);
            position += Integer.BYTES;
            residual[from + i] = v - (negative ? -sent : sent);
        }
        return position - dstOffset;
    }

    public boolean decodeAdd(final DirectBuffer src, final int offset, final int length, final int count,
        final float[] dst, final int dstFrom)
    {
        if (count < 0 || count > MAX_CHUNK_ELEMENTS || length < HEADER || (length - HEADER) % Integer.BYTES != 0 ||
            dstFrom < 0 || dstFrom + count > dst.length)
        {
            return false;
        }
        final float t = src.getFloat(offset, ORDER);
        if (!(t > 0f) || Float.isInfinite(t))
        {
            return false;
        }
        final int end = offset + length;
        int previous = -1;
        for (int p = offset + HEADER; p < end; p += Integer.BYTES)
        {
            final int entry = src.getInt(p, ORDER);
            final int index = entry & INDEX_MASK;
            final int multiplier = (entry >>> INDEX_BITS) & MAX_MULTIPLIER;
            if (index >= count || index <= previous || multiplier == 0)
            {
                return false;
            }
            previous = index;
        }
        for (int p = offset + HEADER; p < end; p += Integer.BYTES)
        {
            final int entry = src.getInt(p, ORDER);
            final float sent = ((entry >>> INDEX_BITS) & MAX_MULTIPLIER) * t;
            dst[dstFrom + (entry & INDEX_MASK)] += entry < 0 ? -sent : sent;
        }
        return true;
    }
}
