package dev.sparkdl.arrow;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The one process-wide root allocator, for callers (a Spark task, a benchmark) that have
 * no allocator of their own. Library code never creates a {@link RootAllocator}: it takes
 * a {@link BufferAllocator} and opens named children of it.
 */
public final class Allocators {
    private Allocators() {
    }

    /** Created on first use, lives as long as the JVM and is never closed: leaks show in its children. */
    private static final class Holder {
        static final BufferAllocator ROOT = new RootAllocator(Long.MAX_VALUE);
    }

    /** The process-wide root. Do not close it; open a child with {@link #child} instead. */
    public static BufferAllocator processRoot() {
        return Holder.ROOT;
    }

    /** A named child of {@code parent} without a limit of its own; the caller closes it. */
    public static BufferAllocator child(BufferAllocator parent, String name) {
        return parent.newChildAllocator(name, 0, Long.MAX_VALUE);
    }
}
