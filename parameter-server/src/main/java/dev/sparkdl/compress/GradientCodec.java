package dev.sparkdl.compress;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Encodes dense ranges of a float residual into chunk payloads and decodes them back into a sum.
 *
 * <p>Error feedback: the caller adds each step's gradient into a residual vector, calls
 * {@link #prepare} once for the range it is about to push, then {@link #encode} chunk by chunk.
 * {@code encode} subtracts from the residual exactly the values the payload decodes to (checked
 * bitwise by the tests), so the rest is carried to the next push. An encoder instance keeps per-push
 * state (top-k's cut) and is used by one thread; {@link #decodeAdd} is stateless.
 */
public interface GradientCodec
{
    /** Wire code of each codec (the chunk header's encoding field). */
    int NONE = 0;
    int THRESHOLD = 1;
    int INT8 = 2;
    int TOPK = 3;
    int FP16 = 4;

    /** Every payload is little-endian. */
    ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** @return the wire code. */
    int id();

    /** @return the name users choose it by: none, threshold, int8, topk or fp16. */
    String name();

    /**
     * @param payloadBytes largest payload of one chunk.
     * @return how many dense elements one chunk may cover, so that any encoding of them fits.
     */
    int elementsPerChunk(int payloadBytes);

    /**
     * Called once before the chunks of one push of {@code residual[from, to)} are encoded.
     *
     * @param residual    the residual, gradient already added.
     * @param from        first element of the range.
     * @param to          end of the range, exclusive.
     * @param totalLength length of the whole vector the range belongs to (top-k scales k by it).
     */
    default void prepare(final float[] residual, final int from, final int to, final long totalLength)
    {
    }

    /**
     * Encode {@code residual[from, from + count)} and subtract exactly what was encoded.
     *
     * @return the payload length written at {@code dst[dstOffset]}.
     */
    int encode(float[] residual, int from, int count, MutableDirectBuffer dst, int dstOffset);

    /**
     * Add a payload's values into {@code dst[dstFrom, dstFrom + count)}, after checking all of it.
     *
     * @return false, with {@code dst} untouched, when the payload is malformed.
     */
    boolean decodeAdd(DirectBuffer src, int offset, int length, int count, float[] dst, int dstFrom);
}
