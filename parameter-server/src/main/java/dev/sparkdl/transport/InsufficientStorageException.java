package dev.sparkdl.transport;

/** The Aeron directory's filesystem is too small for the logs a job needs. */
public final class InsufficientStorageException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    private final long bytesNeeded;
    private final long bytesFree;

    InsufficientStorageException(final String message, final long bytesNeeded, final long bytesFree)
    {
        super(message);
        this.bytesNeeded = bytesNeeded;
        this.bytesFree = bytesFree;
    }

    public long bytesNeeded()
    {
        return bytesNeeded;
    }

    public long bytesFree()
    {
        return bytesFree;
    }
}
