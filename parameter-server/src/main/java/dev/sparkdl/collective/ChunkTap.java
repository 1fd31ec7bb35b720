package dev.sparkdl.collective;

import org.agrona.MutableDirectBuffer;

/** Test seam: sees each encoded chunk just before it is committed (to corrupt one, for instance). */
@FunctionalInterface
interface ChunkTap
{
    ChunkTap NONE = (buffer, offset, length) -> {};

    void onEncoded(MutableDirectBuffer buffer, int offset, int length);
}
