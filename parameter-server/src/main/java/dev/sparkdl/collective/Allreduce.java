package dev.sparkdl.collective;

import java.nio.ByteBuffer;

/**
 * An in-place SUM across the ranks of a group, every rank ending bit-identical. Every rank calls each
 * operation the same number of times with the same length and element type, one thread per rank, then
 * {@link #close()}. Failures throw a {@link CollectiveException} naming the rank to blame.
 *
 * <p>{@link RingAllreduce} runs over Aeron between any ranks; {@link SharedMemoryAllreduce} serves ranks
 * that share one JVM (Spark's local mode, several task slots of one executor) without a wire.
 */
public interface Allreduce extends AutoCloseable
{
    int rank();

    int worldSize();

    /**
     * Sum {@code elementCount} elements of {@code buffer} across all ranks, in place.
     *
     * @param buffer       direct, native byte order; elements start at index 0 (position and limit are ignored).
     * @param type         element type, the same on every rank.
     * @param elementCount elements to reduce, the same on every rank (0 is allowed).
     */
    void sum(ByteBuffer buffer, ElementType type, long elementCount);

    /** Sum a double array across all ranks, in place. */
    void sum(double[] values);

    /** Leave because this rank's own work failed: the others fail at once naming this rank and {@code why}. */
    void abort(String why);

    /** Leave the group; idempotent, never throws for a peer's sake. */
    @Override
    void close();
}
