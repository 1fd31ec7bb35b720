package dev.sparkdl.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Every test gets its own root and fails if it leaves a byte allocated: each test is a leak test. */
public abstract class AllocatorTest {
    protected BufferAllocator allocator;

    @BeforeEach
    void openAllocator() {
        allocator = new RootAllocator(Long.MAX_VALUE);
    }

    @AfterEach
    void closeAllocator() {
        try {
            assertEquals(0, allocator.getAllocatedMemory(), () -> "leaked:\n" + allocator.toVerboseString());
        } finally {
            allocator.close();
        }
    }
}
