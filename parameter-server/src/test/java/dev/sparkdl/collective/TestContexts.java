package dev.sparkdl.collective;

import dev.sparkdl.transport.CollectiveContext;

import java.io.File;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Contexts for tests: a fresh Aeron directory per test, small terms, short deadlines. */
final class TestContexts
{
    static final String LOOPBACK = "127.0.0.1";
    static final byte[] SECRET = "0123456789abcdef-test-secret".getBytes();

    private TestContexts()
    {
    }

    static String freshAeronDir()
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        return new File(parent, "spark-dl-test-" + UUID.randomUUID()).getPath();
    }

    /** A context sharing {@code dir}; every rank of a test gets its own copy (contexts conclude). */
    static CollectiveContext context(final String dir)
    {
        return new CollectiveContext()
            .aeronDirectoryName(dir)
            .maxBufferBytes(1024 * 1024)
            .timeoutNs(TimeUnit.SECONDS.toNanos(10))
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .publicationConnectionTimeoutNs(TimeUnit.SECONDS.toNanos(2));
    }
}
