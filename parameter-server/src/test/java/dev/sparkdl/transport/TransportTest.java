package dev.sparkdl.transport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransportTest
{
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldDeriveTermLengthFromTheBufferSizeWithinBounds()
    {
        assertEquals(CollectiveContext.MIN_DERIVED_TERM_LENGTH, CollectiveContext.derivedTermLength(0));
        assertEquals(4 * 1024 * 1024, CollectiveContext.derivedTermLength(3 * 1024 * 1024 + 1));
        assertEquals(16 * 1024 * 1024, CollectiveContext.derivedTermLength(16 * 1024 * 1024));
        assertEquals(CollectiveContext.MAX_DERIVED_TERM_LENGTH, CollectiveContext.derivedTermLength(1L << 40));
        assertEquals(4 * 1024 * 1024, new CollectiveContext().maxBufferBytes(4_000_000).conclude().termLength());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldKeepPublicationUnblockAboveClientLivenessOrRefuse()
    {
        final CollectiveContext derived = new CollectiveContext()
            .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(30)).conclude();
        assertTrue(derived.publicationUnblockTimeoutNs() > derived.clientLivenessTimeoutNs());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new CollectiveContext()
            .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(30))
            .publicationUnblockTimeoutNs(TimeUnit.SECONDS.toNanos(15)).conclude());
        assertTrue(ex.getMessage().contains(CollectiveContext.PUBLICATION_UNBLOCK_TIMEOUT_NS_PROP_NAME), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CollectiveContext().termLength(3_000_000).conclude());
        assertThrows(IllegalArgumentException.class, () -> new CollectiveContext().mtuLength(1500).conclude());
        assertEquals(4 * 1024 * 1024, new CollectiveContext().termLength(4 * 1024 * 1024).ipcTermLength(0).conclude()
            .ipcTermLength(), "0 takes the data term");
        final IllegalArgumentException badIpcTerm = assertThrows(IllegalArgumentException.class,
            () -> new CollectiveContext().ipcTermLength(3_000_000).conclude());
        assertTrue(badIpcTerm.getMessage().contains(CollectiveContext.IPC_TERM_LENGTH_PROP_NAME),
            badIpcTerm.getMessage());
        // A 64 KiB IPC term holds at most 8 KiB messages: the default mtu no longer fits.
        final IllegalArgumentException mtuOverIpcTerm = assertThrows(IllegalArgumentException.class,
            () -> new CollectiveContext().ipcTermLength(64 * 1024).conclude());
        assertTrue(mtuOverIpcTerm.getMessage().contains(CollectiveContext.IPC_TERM_LENGTH_PROP_NAME) &&
            mtuOverIpcTerm.getMessage().contains("8192"), mtuOverIpcTerm.getMessage());
        final CollectiveContext concluded = new CollectiveContext().conclude();
        assertThrows(IllegalStateException.class, () -> concluded.termLength(1 << 20));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldFailUpFrontNamingBytesNeededAndFree()
    {
        final Path dir = Path.of(CollectiveContext.defaultAeronDirectoryName());
        final InsufficientStorageException ex = assertThrows(InsufficientStorageException.class,
            () -> StorageCheck.requireUsableSpace(dir, Long.MAX_VALUE, "test logs"));
        assertEquals(Long.MAX_VALUE, ex.bytesNeeded());
        assertTrue(ex.getMessage().contains(Long.toString(Long.MAX_VALUE)), ex.getMessage());
        assertTrue(ex.getMessage().contains(ex.bytesFree() + " bytes free"), ex.getMessage());
        StorageCheck.requireUsableSpace(dir, 1, "one byte");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRunAnInvokerDriverOnOneParkedKeeperThreadAndStopIt() throws Exception
    {
        final String dir = new File(System.getProperty("java.io.tmpdir"), "spark-dl-test-" + UUID.randomUUID())
            .getAbsolutePath();
        final CollectiveContext ctx = new CollectiveContext().aeronDirectoryName(dir)
            .threadingMode(io.aeron.driver.ThreadingMode.INVOKER);
        try (MediaDriverHandle driver = MediaDriverHandle.acquire(ctx))
        {
            assertEquals(1, keeperThreads(dir), "one keeper thread per driver");
            // An idle driver parks: over 200 ms its keeper uses a small fraction of a core.
            final Thread keeper = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().endsWith(dir)).findFirst().orElseThrow();
            final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            final long cpuBefore = threads.getThreadCpuTime(keeper.getId());
            final long wallBefore = System.nanoTime();
            Thread.sleep(200);
            final long cpu = threads.getThreadCpuTime(keeper.getId()) - cpuBefore;
            assertTrue(cpu < (System.nanoTime() - wallBefore) / 4, "idle keeper burned " + cpu + " ns of CPU");
            assertTrue(driver.invokeDriver() >= 0);
        }
        assertEquals(0, keeperThreads(dir), "keeper thread left running");
        assertFalse(new File(dir).exists(), "driver directory left behind");
    }

    private static long keeperThreads(final String dir)
    {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().endsWith(dir))
            .count();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldShareOneDriverPerDirectoryAndRemoveItWithTheLastHandle()
    {
        final String dir = new File(System.getProperty("java.io.tmpdir"), "spark-dl-test-" + UUID.randomUUID())
            .getAbsolutePath();
        final MediaDriverHandle first = MediaDriverHandle.acquire(new CollectiveContext().aeronDirectoryName(dir));
        final MediaDriverHandle second = MediaDriverHandle.acquire(new CollectiveContext().aeronDirectoryName(dir));
        try
        {
            assertEquals(2, MediaDriverHandle.referenceCount(dir));
            assertEquals(first.driverId(), second.driverId());
            assertSame(first.aeron(), second.aeron());
            assertTrue(new File(dir).isDirectory());
        }
        finally
        {
            first.close();
            first.close();
        }
        assertEquals(1, MediaDriverHandle.referenceCount(dir), "a second close of one handle must not count");
        assertTrue(new File(dir).isDirectory());
        second.close();
        assertEquals(0, MediaDriverHandle.referenceCount(dir));
        assertFalse(new File(dir).exists(), "driver directory left behind");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldBuildLoopbackFriendlyUdpChannelsAndRefuseWildcards()
    {
        final CollectiveContext ctx = new CollectiveContext().conclude();
        final String channel = Channels.udpPublication(ctx, "10.0.0.5:4000", 1 << 20, ctx.mtuLength());
        assertTrue(channel.contains("mtu=65504"), channel);
        assertTrue(channel.contains("so-sndbuf=4m"), channel);
        assertTrue(Channels.udpSubscription(ctx, "::1").contains("endpoint=[::1]:0"));
        assertThrows(IllegalArgumentException.class, () -> Channels.requireSpecificHost("0.0.0.0"));
        assertThrows(IllegalArgumentException.class, () -> Channels.requireSpecificHost(""));
    }

    @Test
    void shouldSweepDriverDirectoriesOfDeadProcessesOnly() throws Exception
    {
        final java.nio.file.Path parent = java.nio.file.Files.createTempDirectory("sweep");
        final long deadPid = findDeadPid();
        final java.io.File dead = parent.resolve("spark-dl-aeron-" + deadPid).toFile();
        final java.io.File alive = parent.resolve("spark-dl-aeron-" + ProcessHandle.current().pid()).toFile();
        final java.io.File other = parent.resolve("unrelated").toFile();
        org.junit.jupiter.api.Assertions.assertTrue(dead.mkdirs() && alive.mkdirs() && other.mkdirs());
        java.nio.file.Files.writeString(dead.toPath().resolve("cnc.dat"), "x");

        org.junit.jupiter.api.Assertions.assertEquals(1, MediaDriverHandle.sweepDeadProcessDirectories(parent.toFile()));
        org.junit.jupiter.api.Assertions.assertFalse(dead.exists());
        org.junit.jupiter.api.Assertions.assertTrue(alive.exists() && other.exists());
        org.agrona.IoUtil.delete(parent.toFile(), true);
    }

    private static long findDeadPid()
    {
        for (long pid = 4_000_000L; ; pid--)
        {
            if (ProcessHandle.of(pid).isEmpty())
            {
                return pid;
            }
        }
    }
}
