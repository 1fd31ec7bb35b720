package dev.sparkdl.transport;

import io.aeron.Aeron;
import io.aeron.exceptions.DriverTimeoutException;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Aeron clients on the media drivers of other JVMs on this host. A rank publishes to a co-located peer over
 * IPC by adding its publication on the peer's own driver: the peer reads the log in place, and neither
 * side pays for UDP over loopback (the kernel's copies, the drivers' send and receive). One client per
 * peer driver is shared by every link of this JVM to it and closed with the last of them.
 *
 * <p>A peer counts as co-located only when its announced directory holds the {@link
 * MediaDriverHandle#driverIdFile driver id} it announced: same host, same /dev/shm, same user (the
 * directory is owner-only). Anything else (another host, another container, a driver that has since
 * stopped) gets {@code null}, and the caller uses UDP.
 */
public final class CoLocatedDrivers
{
    /** What a rank announces as its directory when it takes no IPC from other JVMs. */
    public static final String NOT_ANNOUNCED = "-";

    private static final Logger LOG = LoggerFactory.getLogger(CoLocatedDrivers.class);
    private static final Map<String, SharedClient> CLIENTS = new HashMap<>();
    private static final long NOT_HERE = -1;
    private static final long EXIT_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private CoLocatedDrivers()
    {
    }

    /**
     * @return the directory a rank announces with its endpoints (peer records are ';'-separated text, so a
     * directory with one in its name is not announced), or {@link #NOT_ANNOUNCED}.
     */
    public static String announce(final CollectiveContext ctx, final MediaDriverHandle driver)
    {
        final String directory = driver.aeronDirectoryName();
        return ctx.ipcWithinHost() && directory.indexOf(';') < 0 ? directory : NOT_ANNOUNCED;
    }

    /**
     * @return whether a peer with another driver may publish into this rank's driver over IPC: both take
     * IPC from other JVMs (whether they really share a host is the publisher's to find out), so this rank
     * must listen on IPC as well as UDP.
     */
    public static boolean mayPublishHere(final CollectiveContext ctx, final String ownDirectory,
        final String ownDriverId, final String peerDirectory, final String peerDriverId)
    {
        return ctx.ipcWithinHost() && !NOT_ANNOUNCED.equals(ownDirectory) && !NOT_ANNOUNCED.equals(peerDirectory) &&
            !ownDriverId.equals(peerDriverId);
    }

    /** @return whether a peer's announced driver runs on this host (its directory holds the id it announced). */
    public static boolean isOnThisHost(final String peerDirectory, final String peerDriverId)
    {
        return !NOT_ANNOUNCED.equals(peerDirectory) && NOT_HERE != processRunning(peerDirectory, peerDriverId);
    }

    /**
     * @param ctx           this rank's context (driver timeout).
     * @param ownDirectory  what this rank announced.
     * @param ownDriverId   this rank's driver id.
     * @param peerDirectory what the peer announced.
     * @param peerDriverId  the peer's driver id.
     * @return a lease on a client of the peer's driver, to close exactly once; null when the peer runs in this
     * JVM or cannot be reached that way (not on this host, not this user, not announced).
     */
    public static Lease connect(final CollectiveContext ctx, final String ownDirectory, final String ownDriverId,
        final String peerDirectory, final String peerDriverId)
    {
        final long pid = mayPublishHere(ctx, ownDirectory, ownDriverId, peerDirectory, peerDriverId) ?
            processRunning(peerDirectory, peerDriverId) : NOT_HERE;
        if (NOT_HERE == pid)
        {
            return null;
        }
        final String key = peerDirectory + '#' + peerDriverId;
        final SharedClient shared;
        synchronized (CLIENTS)
        {
            shared = CLIENTS.computeIfAbsent(key, k -> new SharedClient(k, pid));
            shared.referenceCount++;
        }
        // Connect outside the registry's lock: a peer driver that hangs delays only the links to that peer.
        synchronized (shared)
        {
            if (null == shared.aeron && !shared.hasFailedToConnect)
            {
                try
                {
                    shared.aeron = Aeron.connect(new Aeron.Context()
                        .aeronDirectoryName(MediaDriverHandle.driverDirectory(peerDirectory))
                        .clientName("spark-dl co-located")
                        .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(ctx.driverTimeoutNs()))
                        .errorHandler(ex -> onClientError(peerDirectory, ex)));
                }
                catch (final RuntimeException ex)
                {
                    shared.hasFailedToConnect = true;
                    LOG.warn("cannot join the co-located driver in {}; using UDP to reach it", peerDirectory, ex);
                }
            }
        }
        final Lease lease = new Lease(shared);
        if (null == shared.aeron)
        {
            lease.close();
            return null;
        }
        return lease;
    }

    /** @return the client to add a publication to the peer on: the lease's, or this rank's own when null. */
    public static Aeron publisher(final Lease peerDriver, final Aeron own)
    {
        return null != peerDriver ? peerDriver.aeron() : own;
    }

    /** @return how many clients on other JVMs' drivers this JVM holds (for tests: none once every fit ended). */
    public static int openClients()
    {
        synchronized (CLIENTS)
        {
            return CLIENTS.size();
        }
    }

    private static void onClientError(final String aeronDirectoryName, final Throwable ex)
    {
        if (ex instanceof DriverTimeoutException)
        {
            // The peer's driver stopped: at the end of a fit when the peer closed first (harmless), or with its
            // JVM. The links that used it report a lost peer themselves, naming it; never exit the JVM.
            LOG.info("the co-located driver in {} stopped: {}", aeronDirectoryName, ex.getMessage());
            return;
        }
        LOG.warn("Aeron client on the co-located driver in {}", aeronDirectoryName, ex);
    }

    /** @return the pid of the JVM running driver {@code driverId} in that directory on this host, or NOT_HERE. */
    private static long processRunning(final String aeronDirectoryName, final String driverId)
    {
        try
        {
            if (!Path.of(aeronDirectoryName).isAbsolute())
            {
                return NOT_HERE;
            }
            final Path idFile = MediaDriverHandle.driverIdFile(aeronDirectoryName);
            if (Files.size(idFile) > 128)
            {
                return NOT_HERE;
            }
            final String[] idAndPid = new String(Files.readAllBytes(idFile), StandardCharsets.US_ASCII).split(" ");
            return idAndPid.length == 2 && driverId.equals(idAndPid[0]) ? Long.parseLong(idAndPid[1]) : NOT_HERE;
        }
        catch (final IOException | SecurityException | NumberFormatException | InvalidPathException ex)
        {
            return NOT_HERE; // Not on this host, not visible to this user, or already gone.
        }
    }

    private static final class SharedClient
    {
        final String key;
        final long pid;
        /** Set once, under this object's monitor; read by lease holders after connect returned them. */
        volatile Aeron aeron;
        boolean hasFailedToConnect;
        /** Guarded by CLIENTS. */
        int referenceCount;
        // Looked up at most every EXIT_CHECK_INTERVAL_NS from the wait loops of every rank using it; races
        // between them only repeat a lookup.
        volatile long exitCheckedNs = System.nanoTime();
        volatile boolean hasExited;

        SharedClient(final String key, final long pid)
        {
            this.key = key;
            this.pid = pid;
        }
    }

    /** One user's hold on a shared client. */
    public static final class Lease implements AutoCloseable
    {
        private final SharedClient shared;
        private boolean isClosed;

        private Lease(final SharedClient shared)
        {
            this.shared = shared;
        }

        public Aeron aeron()
        {
            return shared.aeron;
        }

        /**
         * @return whether the JVM of that driver has exited: a killed executor shows here at once, where its
         * driver's silence takes the client's driver timeout (10 s by default) to show.
         */
        public boolean hasPeerExited()
        {
            final long nowNs = System.nanoTime();
            if (!shared.hasExited && nowNs - shared.exitCheckedNs >= EXIT_CHECK_INTERVAL_NS)
            {
                shared.exitCheckedNs = nowNs;
                shared.hasExited = ProcessHandle.of(shared.pid).map(process -> !process.isAlive()).orElse(true);
            }
            return shared.hasExited;
        }

        /** Release the hold; the last one closes the client. Idempotent. */
        public void close()
        {
            synchronized (CLIENTS)
            {
                if (isClosed)
                {
                    return;
                }
                isClosed = true;
                if (--shared.referenceCount == 0)
                {
                    CLIENTS.remove(shared.key);
                    CloseHelper.quietClose(shared.aeron); // Null when it never connected.
                }
            }
        }
    }
}
