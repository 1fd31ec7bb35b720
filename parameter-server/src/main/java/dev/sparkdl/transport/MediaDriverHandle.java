package dev.sparkdl.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reference to the JVM's embedded media driver for one Aeron directory, and to the Aeron client
 * connected to it. All workers of an executor share the driver (one set of driver threads, one
 * directory); the first {@link #acquire(CollectiveContext)} launches it with that caller's context, the
 * last {@link #close()} stops it and deletes its directory.
 *
 * <p>In {@link ThreadingMode#INVOKER} mode (the default) the driver has no thread of its own: a keeper
 * thread runs its duty cycle, parking up to {@link CollectiveContext#driverIdleMaxParkNs()} when idle, and
 * a collective in flight runs it from its own wait loop through {@link #invokeDriver()}. On a loaded
 * 2-core machine every hand-off to another thread (app to driver sender, driver receiver to app) waits
 * for a time slice; doing the sends and receives on the thread that waits for them removes those waits.
 */
public final class MediaDriverHandle implements AutoCloseable
{
    /** Driver files besides the logs: command/response rings, counters, error and loss logs (generous). */
    static final long DRIVER_FILES_BYTES = 16L * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(MediaDriverHandle.class);
    private static final int IDLE_MAX_SPINS = 10;
    private static final int IDLE_MAX_YIELDS = 10;
    private static final long IDLE_MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);
    private static final Map<String, SharedDriver> DRIVERS = new HashMap<>();
    private static boolean shutdownHookAdded;

    private final SharedDriver shared;
    private final AtomicBoolean isClosed = new AtomicBoolean();

    private MediaDriverHandle(final SharedDriver shared)
    {
        this.shared = shared;
    }

    /**
     * Join the driver for {@code ctx.aeronDirectoryName()}, launching it if this JVM has none there yet.
     *
     * @param ctx the context; concluded here. Driver-wide settings come from the first acquirer's context.
     * @return a handle to close exactly once when done.
     * @throws InsufficientStorageException when the directory's filesystem cannot hold the driver files.
     */
    /**
     * Remove the driver directories of processes that no longer run: a SIGKILLed executor never runs
     * its shutdown hook, and each directory it leaves holds tens of MiB of /dev/shm.
     */
    static int sweepDeadProcessDirectories(final File parent)
    {
        final File[] stale = null == parent ? null : parent.listFiles(
            (d, name) -> name.startsWith("spark-dl-aeron-"));
        int removed = 0;
        for (final File dir : null == stale ? new File[0] : stale)
        {
            try
            {
                final long pid = Long.parseLong(dir.getName().substring("spark-dl-aeron-".length()));
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty())
                {
                    org.agrona.IoUtil.delete(dir, true);
                    LOG.info("removed {}, left by process {} that no longer runs", dir, pid);
                    removed++;
                }
            }
            catch (final NumberFormatException ignore)
            {
                // Not one of ours.
            }
        }
        return removed;
    }

    public static MediaDriverHandle acquire(final CollectiveContext ctx)
    {
        ctx.conclude();
        final String dir = new File(ctx.aeronDirectoryName()).getAbsolutePath();
        synchronized (DRIVERS)
        {
            SharedDriver shared = DRIVERS.get(dir);
            if (null == shared)
            {
                sweepDeadProcessDirectories(new File(dir).getParentFile());
                shared = SharedDriver.launch(ctx, dir);
                DRIVERS.put(dir, shared);
                addShutdownHookOnce();
            }
            shared.referenceCount++;
            return new MediaDriverHandle(shared);
        }
    }

    /**
     * @param aeronDirectoryName a directory.
     * @return how many open handles share the driver there (0 when none runs).
     */
    public static int referenceCount(final String aeronDirectoryName)
    {
        synchronized (DRIVERS)
        {
            final SharedDriver shared = DRIVERS.get(new File(aeronDirectoryName).getAbsolutePath());
            return null == shared ? 0 : shared.referenceCount;
        }
    }

    /** @return the Aeron client shared by every handle on this driver; thread safe. */
    public Aeron aeron()
    {
        return shared.aeron;
    }

    /**
     * Run one duty cycle of an {@link ThreadingMode#INVOKER} driver on the calling thread, unless another
     * thread is running one or the caller is interrupted. Cheap to call in a wait loop; does nothing for a
     * driver with its own threads.
     *
     * @return work done (0 when nothing to do, another thread holds the driver, or it has its own threads).
     */
    public int invokeDriver()
    {
        return shared.invoke();
    }

    /**
     * Mark the start of a stretch in which the caller runs the driver through {@link #invokeDriver()} (a
     * collective in flight): the keeper thread stays parked meanwhile instead of competing for the driver.
     * Pair with {@link #endInvoking()}.
     */
    public void beginInvoking()
    {
        shared.activeInvokers.incrementAndGet();
    }

    public void endInvoking()
    {
        shared.activeInvokers.decrementAndGet();
    }

    /** @return a random id of this driver instance: peers with equal ids can talk over IPC. */
    public String driverId()
    {
        return shared.driverId;
    }

    /**
     * Where the driver's own files (its CnC file, counters and logs) live inside a spark-dl Aeron directory:
     * the place an Aeron client, e.g. a counters reader, must connect to.
     */
    public static String driverDirectory(final String aeronDirectoryName)
    {
        return aeronDirectoryName + File.separator + "driver";
    }

    /**
     * The file in a spark-dl Aeron directory that holds its running driver's {@link #driverId()} and the
     * process id of its JVM ({@code "<id> <pid>"}): a rank in another JVM that reads the id a peer announced
     * there knows it shares this host and /dev/shm with that peer, may publish to it over IPC through that
     * driver, and can tell at once when that JVM has exited.
     */
    public static Path driverIdFile(final String aeronDirectoryName)
    {
        return Path.of(aeronDirectoryName, "driver-id");
    }

    public String aeronDirectoryName()
    {
        return shared.directory;
    }

    /** @return the context the driver was launched with (its term, mtu and timeouts rule driver-wide). */
    public CollectiveContext driverContext()
    {
        return shared.ctx;
    }

    /** Release this reference; the last one stops the driver and deletes its directory. Idempotent. */
    public void close()
    {
        if (!isClosed.compareAndSet(false, true))
        {
            return;
        }
        synchronized (DRIVERS)
        {
            if (--shared.referenceCount == 0)
            {
                DRIVERS.remove(shared.directory);
                shared.stop();
            }
        }
    }

    private static void addShutdownHookOnce()
    {
        if (!shutdownHookAdded)
        {
            shutdownHookAdded = true;
            // An executor JVM that exits without closing must still leave nothing in /dev/shm.
            Runtime.getRuntime().addShutdownHook(new Thread(MediaDriverHandle::stopAll, "spark-dl-aeron-cleanup"));
        }
    }

    private static void stopAll()
    {
        synchronized (DRIVERS)
        {
            for (final SharedDriver shared : DRIVERS.values())
            {
                shared.stop();
            }
            DRIVERS.clear();
        }
    }

    private static IdleStrategy driverIdle(final CollectiveContext ctx)
    {
        // Spin a little for latency under load, then park up to driverIdleMaxParkNs: an idle driver costs
        // about a thousand wake-ups a second instead of a core.
        return new BackoffIdleStrategy(IDLE_MAX_SPINS, IDLE_MAX_YIELDS, IDLE_MIN_PARK_NS, ctx.driverIdleMaxParkNs());
    }

    private static final class SharedDriver
    {
        final CollectiveContext ctx;
        final String directory;
        final String driverId = UUID.randomUUID().toString();
        final MediaDriver driver;
        final AgentInvoker invoker;
        final ReentrantLock invokerLock = new ReentrantLock();
        final java.util.concurrent.atomic.AtomicInteger activeInvokers = new java.util.concurrent.atomic.AtomicInteger();
        final Thread keeper;
        volatile boolean isRunning = true;
        Aeron aeron;
        int referenceCount;

        private SharedDriver(final CollectiveContext ctx, final String directory, final MediaDriver driver)
        {
            this.ctx = ctx;
            this.directory = directory;
            this.driver = driver;
            this.invoker = driver.sharedAgentInvoker();
            if (null != invoker)
            {
                if (!invoker.isStarted())
                {
                    invoker.start();
                }
                keeper = new Thread(this::keep, "spark-dl-aeron-driver " + directory);
                keeper.setDaemon(true);
                keeper.start();
            }
            else
            {
                keeper = null;
            }
        }

        int invoke()
        {
            // An interrupted caller stops moving data, so its wait loop goes idle and reports the interrupt
            // promptly instead of finishing the operation; the keeper keeps the driver going for the others.
            if (null == invoker || Thread.currentThread().isInterrupted() || !invokerLock.tryLock())
            {
                return 0;
            }
            try
            {
                return invoker.isClosed() ? 0 : invoker.invoke();
            }
            finally
            {
                invokerLock.unlock();
            }
        }

        /** Runs the driver whenever no collective does: connections, heartbeats and status messages go on. */
        private void keep()
        {
            final IdleStrategy idle = driverIdle(ctx);
            while (isRunning)
            {
                idle.idle(activeInvokers.get() > 0 ? 0 : invoke());
            }
        }

        static SharedDriver launch(final CollectiveContext ctx, final String directory)
        {
            StorageCheck.requireUsableSpace(Path.of(directory), DRIVER_FILES_BYTES, "the Aeron media driver");
            final String driverDirectory = driverDirectory(ownerOnly(directory));
            final MediaDriver.Context driverCtx = new MediaDriver.Context()
                .aeronDirectoryName(driverDirectory)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .printConfigurationOnStart(false)
                .warnIfDirectoryExists(false)
                .threadingMode(ctx.threadingMode())
                .sharedIdleStrategy(driverIdle(ctx))
                .sharedNetworkIdleStrategy(driverIdle(ctx))
                .conductorIdleStrategy(driverIdle(ctx))
                .senderIdleStrategy(driverIdle(ctx))
                .receiverIdleStrategy(driverIdle(ctx))
                .termBufferSparseFile(true)
                .publicationTermBufferLength(ctx.termLength())
                .ipcTermBufferLength(ctx.termLength())
                .mtuLength(ctx.mtuLength())
                .ipcMtuLength(ctx.mtuLength())
                .socketRcvbufLength(ctx.socketBufferLength())
                .socketSndbufLength(ctx.socketBufferLength())
                .initialWindowLength(ctx.receiverWindowLength())
                .imageLivenessTimeoutNs(ctx.imageLivenessTimeoutNs())
                .publicationConnectionTimeoutNs(ctx.publicationConnectionTimeoutNs())
                .clientLivenessTimeoutNs(ctx.clientLivenessTimeoutNs())
                .publicationUnblockTimeoutNs(ctx.publicationUnblockTimeoutNs())
                .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(ctx.driverTimeoutNs()))
                .errorHandler(ex -> LOG.warn("Aeron media driver error in {}", directory, ex));
            MediaDriver driver = null;
            SharedDriver shared = null;
            try
            {
                driver = MediaDriver.launch(driverCtx);
                shared = new SharedDriver(ctx, directory, driver);
                // The keeper thread answers the client's connect when the driver has no thread of its own.
                shared.aeron = Aeron.connect(new Aeron.Context()
                    .aeronDirectoryName(driverDirectory)
                    .clientName("spark-dl")
                    .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(ctx.driverTimeoutNs()))
                    .errorHandler(ex -> LOG.warn("Aeron client error in {}", directory, ex)));
                writeDriverId(directory, shared.driverId);
                LOG.info("Started Aeron media driver in {} ({})", directory, ctx);
                return shared;
            }
            catch (final RuntimeException ex)
            {
                if (null != shared)
                {
                    shared.stopKeeper();
                }
                CloseHelper.quietClose(driver);
                IoUtil.delete(new File(directory), true);
                throw ex;
            }
        }

        /**
         * (Re)creates {@code directory} readable by this user only; Aeron creates its files inside with the
         * process umask, often world-readable, and they hold every stream and session id (the counters)
         * and the gradients themselves (the logs).
         */
        private static String ownerOnly(final String directory)
        {
            final Path dir = Path.of(directory);
            IoUtil.delete(dir.toFile(), true);
            try
            {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            catch (final UnsupportedOperationException ex)
            {
                IoUtil.ensureDirectoryExists(dir.toFile(), "Aeron");
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot create the Aeron directory " + dir, ex);
            }
            return directory;
        }

        private static void writeDriverId(final String directory, final String driverId)
        {
            final Path idFile = driverIdFile(directory);
            final Path written = idFile.resolveSibling(idFile.getFileName() + ".tmp");
            try
            {
                // Written whole, then renamed: a reader never sees half an id.
                Files.writeString(written, driverId + " " + ProcessHandle.current().pid());
                Files.move(written, idFile, StandardCopyOption.ATOMIC_MOVE);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot write " + idFile, ex);
            }
        }

        private void stopKeeper()
        {
            isRunning = false;
            if (null != keeper && keeper != Thread.currentThread())
            {
                try
                {
                    keeper.join(TimeUnit.NANOSECONDS.toMillis(ctx.driverTimeoutNs()));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void stop()
        {
            try
            {
                // The client says goodbye while the driver still runs; then the driver stops with no thread in it.
                CloseHelper.close(aeron);
                stopKeeper();
                invokerLock.lock();
                try
                {
                    CloseHelper.close(driver);
                }
                finally
                {
                    invokerLock.unlock();
                }
            }
            finally
            {
                // dirDeleteOnShutdown covers a clean stop; this covers a failed one.
                IoUtil.delete(new File(directory), true);
                LOG.info("Stopped Aeron media driver in {}", directory);
            }
        }
    }
}
