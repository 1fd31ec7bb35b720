package dev.sparkdl.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks up front that the Aeron directory's filesystem (usually the tmpfs at /dev/shm) can hold
 * the log buffers about to be mapped. Aeron would otherwise fail later, or the kernel would SIGBUS
 * the JVM on first touch of a sparse log in a full tmpfs.
 */
public final class StorageCheck
{
    /** Page-aligned metadata Aeron appends to each log buffer (three terms plus this). */
    static final int LOG_META_DATA_LENGTH = 4096;

    private StorageCheck()
    {
    }

    /**
     * Bytes one publication or image log needs for a given term length.
     *
     * @param termLength term length in bytes.
     * @return bytes of the mapped file.
     */
    public static long logLength(final int termLength)
    {
        return 3L * termLength + LOG_META_DATA_LENGTH;
    }

    /**
     * Throw if the filesystem holding {@code directory} has fewer than {@code bytesNeeded} usable bytes.
     *
     * @param directory   the Aeron directory, or a path below a directory that exists.
     * @param bytesNeeded bytes about to be allocated.
     * @param purpose     what needs the space, for the message.
     * @throws InsufficientStorageException naming the bytes needed and free.
     */
    public static void requireUsableSpace(final Path directory, final long bytesNeeded, final String purpose)
    {
        final long usable = usableSpace(directory);
        if (usable < bytesNeeded)
        {
            throw new InsufficientStorageException(
                purpose + " needs " + bytesNeeded + " bytes in " + directory + " but its filesystem has only " +
                usable + " bytes free; lower " + CollectiveContext.TERM_LENGTH_PROP_NAME + " (or " +
                CollectiveContext.MAX_BUFFER_BYTES_PROP_NAME + "), point " + CollectiveContext.AERON_DIR_PROP_NAME +
                " at a larger filesystem, or enlarge /dev/shm",
                bytesNeeded, usable);
        }
    }

    static long usableSpace(final Path directory)
    {
        Path existing = directory.toAbsolutePath();
        while (existing != null && !Files.exists(existing))
        {
            existing = existing.getParent();
        }
        if (existing == null)
        {
            throw new IllegalArgumentException("no existing ancestor of " + directory);
        }
        try
        {
            final FileStore store = Files.getFileStore(existing);
            return store.getUsableSpace();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read free space of " + existing, ex);
        }
    }
}
