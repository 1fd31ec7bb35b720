package dev.sparkdl.transport;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two drivers in one JVM stand for two executors on one host: each has its own directory and id. */
class CoLocatedDriversTest
{
    private static final int STREAM = 4242;

    private String dirA;
    private String dirB;
    private MediaDriverHandle driverA;
    private MediaDriverHandle driverB;

    @BeforeEach
    void launchTwoDrivers()
    {
        final String parent = new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir");
        dirA = new File(parent, "spark-dl-test-" + UUID.randomUUID()).getPath();
        dirB = new File(parent, "spark-dl-test-" + UUID.randomUUID()).getPath();
        driverA = MediaDriverHandle.acquire(context(dirA));
        driverB = MediaDriverHandle.acquire(context(dirB));
    }

    @AfterEach
    void closeDrivers()
    {
        driverA.close();
        driverB.close();
        assertFalse(new File(dirA).exists(), dirA + " left behind");
        assertFalse(new File(dirB).exists(), dirB + " left behind");
        assertEquals(0, CoLocatedDrivers.openClients(), "clients on other drivers left open");
    }

    private static CollectiveContext context(final String dir)
    {
        return new CollectiveContext().aeronDirectoryName(dir).maxBufferBytes(1 << 20);
    }

    private CoLocatedDrivers.Lease connectAToB(final CollectiveContext ctx)
    {
        return CoLocatedDrivers.connect(ctx, CoLocatedDrivers.announce(ctx, driverA), driverA.driverId(),
            CoLocatedDrivers.announce(ctx, driverB), driverB.driverId());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldPublishIntoTheOtherDriverOverIpcAndShareOneClientPerDriver()
    {
        final CollectiveContext ctx = context(dirA).conclude();
        try (Subscription inbox = driverB.aeron().addSubscription(Channels.ipcSubscription(), STREAM);
            CoLocatedDrivers.Lease first = connectAToB(ctx);
            CoLocatedDrivers.Lease second = connectAToB(ctx))
        {
            assertNotNull(first, "driver B runs on this host: A must reach it");
            assertFalse(first.hasPeerExited(), "B's JVM (this one) runs");
            assertSame(first.aeron(), second.aeron(), "one client per driver");
            assertEquals(1, CoLocatedDrivers.openClients());
            try (ExclusivePublication toB = first.aeron().addExclusivePublication(
                Channels.ipcPublication(ctx.termLength(), ctx.mtuLength()), STREAM))
            {
                final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
                message.putLong(0, 0x5eed_cafeL);
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (toB.offer(message) < 0)
                {
                    assertTrue(System.nanoTime() < deadlineNs, "B's driver never took the publication");
                    Thread.onSpinWait();
                }
                final AtomicLong received = new AtomicLong();
                while (inbox.poll((buffer, offset, length, header) -> received.set(buffer.getLong(offset)), 1) == 0)
                {
                    assertTrue(System.nanoTime() < deadlineNs, "B never read what A published");
                    Thread.onSpinWait();
                }
                assertEquals(0x5eed_cafeL, received.get());
                assertEquals("aeron:ipc", inbox.imageAtIndex(0).sourceIdentity());
            }
        }
        assertEquals(0, CoLocatedDrivers.openClients(), "the last lease closes the client");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRefuseWhatIsNotARunningDriverOfThisHost() throws Exception
    {
        final CollectiveContext ctx = context(dirA).conclude();
        final String a = CoLocatedDrivers.announce(ctx, driverA);
        final String b = CoLocatedDrivers.announce(ctx, driverB);
        assertNull(CoLocatedDrivers.connect(ctx, a, driverA.driverId(), b, UUID.randomUUID().toString()),
            "an id that is not the one running there");
        assertNull(CoLocatedDrivers.connect(ctx, a, driverA.driverId(), a, driverA.driverId()),
            "the same driver is IPC within the JVM, not a co-located one");
        assertNull(CoLocatedDrivers.connect(ctx, a, driverA.driverId(), CoLocatedDrivers.NOT_ANNOUNCED,
            driverB.driverId()), "a peer that takes no IPC from other JVMs");
        assertNull(CoLocatedDrivers.connect(ctx, CoLocatedDrivers.NOT_ANNOUNCED, driverA.driverId(), b,
            driverB.driverId()), "this rank takes no IPC from other JVMs");
        final String missing = Files.createTempDirectory("spark-dl-no-driver-").toString();
        try
        {
            assertNull(CoLocatedDrivers.connect(ctx, a, driverA.driverId(), missing, driverB.driverId()),
                "a directory without a driver (another host's path)");
        }
        finally
        {
            Files.delete(java.nio.file.Path.of(missing));
        }
        assertNull(CoLocatedDrivers.connect(ctx, a, driverA.driverId(), "relative/" + b, driverB.driverId()));
        assertNull(CoLocatedDrivers.connect(ctx, a, driverA.driverId(), "/not\0a path", driverB.driverId()),
            "a record that is no path at all");

        final CollectiveContext udpOnly = context(dirA).ipcWithinHost(false).conclude();
        assertEquals(CoLocatedDrivers.NOT_ANNOUNCED, CoLocatedDrivers.announce(udpOnly, driverA));
        assertNull(CoLocatedDrivers.connect(udpOnly, a, driverA.driverId(), b, driverB.driverId()));
        assertEquals(0, CoLocatedDrivers.openClients());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldNotReachADriverThatStopped()
    {
        final CollectiveContext ctx = context(dirA).conclude();
        final String b = CoLocatedDrivers.announce(ctx, driverB);
        final String idB = driverB.driverId();
        driverB.close();
        assertFalse(Files.exists(MediaDriverHandle.driverIdFile(b)), "the id leaves with the driver");
        assertNull(CoLocatedDrivers.connect(ctx, CoLocatedDrivers.announce(ctx, driverA), driverA.driverId(), b, idB));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldReachOneDriverWhileJoiningAnotherThatNeverAnswers() throws Exception
    {
        // A directory whose id file names a live process (this one) but where no driver answers: joining it
        // waits out the client's driver timeout, and must hold up neither other peers' links nor leave a client.
        final CollectiveContext ctx = context(dirA).driverTimeoutNs(TimeUnit.SECONDS.toNanos(3)).conclude();
        final String a = CoLocatedDrivers.announce(ctx, driverA);
        final java.nio.file.Path silent = Files.createTempDirectory("spark-dl-silent-driver-");
        final String silentId = UUID.randomUUID().toString();
        Files.writeString(MediaDriverHandle.driverIdFile(silent.toString()), silentId + " " + ProcessHandle.current().pid());
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try
        {
            final Future<CoLocatedDrivers.Lease> joiningSilent = pool.submit(() ->
                CoLocatedDrivers.connect(ctx, a, driverA.driverId(), silent.toString(), silentId));
            Thread.sleep(300); // Let it enter Aeron.connect.
            try (CoLocatedDrivers.Lease toB = CoLocatedDrivers.connect(ctx, a, driverA.driverId(),
                CoLocatedDrivers.announce(ctx, driverB), driverB.driverId()))
            {
                assertNotNull(toB, "the running driver is reachable");
                assertFalse(joiningSilent.isDone(), "B was reached while the silent driver was still being joined");
            }
            assertNull(joiningSilent.get(20, TimeUnit.SECONDS), "no driver answered: UDP instead");
            assertEquals(0, CoLocatedDrivers.openClients());
        }
        finally
        {
            pool.shutdownNow();
            Files.deleteIfExists(MediaDriverHandle.driverIdFile(silent.toString()));
            Files.walk(silent).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
