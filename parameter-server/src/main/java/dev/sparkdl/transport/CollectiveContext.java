package dev.sparkdl.transport;

import io.aeron.driver.ThreadingMode;

import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * Configuration of the embedded media driver and of the collectives built on it.
 *
 * <p>Each setting has a {@code *_PROP_NAME} system property and a {@code DEFAULT_*} value, read when the
 * context is constructed; setters override them. {@link #conclude()} validates everything and derives
 * the dependent values (term length from the expected buffer size, the publication unblock timeout from
 * the client liveness timeout) before any thread or file is created. A concluded context is immutable.
 *
 * <p>Defaults favour a small shared machine: INVOKER threading (the driver's duty cycle runs on the thread
 * waiting in a collective, and on one keeper thread between calls that backs off to parking when idle),
 * UDP channels tuned for throughput on loopback (mtu 65504, 4 MiB socket buffers, terms sized for the
 * job), and IPC links between ranks on one host with a cache-sized term while each rank has a core. On a
 * real network with a 1500-byte path MTU a smaller {@link #mtuLength(int)} avoids IP fragmentation.
 */
public final class CollectiveContext
{
    /** Directory for the embedded driver's files; one driver per directory per JVM. */
    public static final String AERON_DIR_PROP_NAME = "spark-dl.aeron.dir";

    /**
     * Driver threading mode. INVOKER (default): the driver's duty cycle runs on the thread waiting in a
     * collective (and on a keeper thread between calls), so data moves without thread hand-offs and the
     * driver never competes with the ranks for a core (see {@link MediaDriverHandle}): 2 ranks summing 16M
     * floats took 7-10% less time than with SHARED, over IPC and over UDP, in paired runs on 2 vCPUs.
     * SHARED: one driver thread per JVM for conductor, sender and receiver.
     */
    public static final String THREADING_MODE_PROP_NAME = "spark-dl.aeron.threadingMode";
    public static final ThreadingMode DEFAULT_THREADING_MODE = ThreadingMode.INVOKER;

    /** Longest park of the driver's idle strategy; bounds wake-ups of an idle driver. */
    public static final String DRIVER_IDLE_MAX_PARK_NS_PROP_NAME = "spark-dl.aeron.idleMaxParkNs";
    public static final long DEFAULT_DRIVER_IDLE_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Longest park of a collective's wait loop (runs only inside a call, on the caller's thread). */
    public static final String COLLECTIVE_IDLE_MAX_PARK_NS_PROP_NAME = "spark-dl.collective.idleMaxParkNs";
    public static final long DEFAULT_COLLECTIVE_IDLE_MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(100);

    /** Term length of data publications in bytes; 0 derives it from {@link #MAX_BUFFER_BYTES_PROP_NAME}. */
    public static final String TERM_LENGTH_PROP_NAME = "spark-dl.aeron.termLength";
    public static final int DEFAULT_TERM_LENGTH = 0;

    /**
     * Term length of data publications to a rank on this host over IPC while every rank on the host has a
     * core of its own; 0 = the {@link #TERM_LENGTH_PROP_NAME} term. Small on purpose: the log, the half-term
     * window in flight and the driver's zeroing behind the reader then stay in the cache instead of
     * streaming a buffer-sized log through memory (2 ranks, 16M floats: about a fifth faster than a 64 MiB
     * term). Ranks sharing cores keep the large term: a descheduled reader would block the writer.
     */
    public static final String IPC_TERM_LENGTH_PROP_NAME = "spark-dl.aeron.ipcTermLength";
    public static final int DEFAULT_IPC_TERM_LENGTH = 1024 * 1024;

    /** Largest buffer the job will reduce, in bytes: sizes the terms when no term length is given. */
    public static final String MAX_BUFFER_BYTES_PROP_NAME = "spark-dl.collective.maxBufferBytes";
    public static final long DEFAULT_MAX_BUFFER_BYTES = 16L * 1024 * 1024;

    /** Smallest and largest derived term: big terms only pay off for big buffers, and cost 3x in /dev/shm. */
    public static final int MIN_DERIVED_TERM_LENGTH = 1024 * 1024;
    public static final int MAX_DERIVED_TERM_LENGTH = 64 * 1024 * 1024;

    /** Term length of the small control links (handshake, abort, goodbye). */
    public static final int CONTROL_TERM_LENGTH = 64 * 1024;

    /** MTU of data channels; 65504 is the largest Aeron frame and makes loopback UDP fast. */
    public static final String MTU_LENGTH_PROP_NAME = "spark-dl.aeron.mtu";
    public static final int DEFAULT_MTU_LENGTH = 65504;

    /** SO_SNDBUF / SO_RCVBUF of UDP channels. */
    public static final String SOCKET_BUFFER_LENGTH_PROP_NAME = "spark-dl.aeron.socketBufferLength";
    public static final int DEFAULT_SOCKET_BUFFER_LENGTH = 4 * 1024 * 1024;

    /** Receiver window of UDP subscriptions; Aeron caps it at half the sender's term. */
    public static final String RECEIVER_WINDOW_LENGTH_PROP_NAME = "spark-dl.aeron.receiverWindowLength";
    public static final int DEFAULT_RECEIVER_WINDOW_LENGTH = 2 * 1024 * 1024;

    /** Longest a collective waits without progress (no chunk received or sent) before failing. */
    public static final String TIMEOUT_NS_PROP_NAME = "spark-dl.collective.timeoutNs";
    public static final long DEFAULT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    /** Longest the connection and handshake with the neighbours may take. */
    public static final String CONNECT_TIMEOUT_NS_PROP_NAME = "spark-dl.collective.connectTimeoutNs";
    public static final long DEFAULT_CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    /** Silence after which a sender's image is dropped: how fast a dead peer is noticed. */
    public static final String IMAGE_LIVENESS_TIMEOUT_NS_PROP_NAME = "spark-dl.aeron.imageLivenessTimeoutNs";
    public static final long DEFAULT_IMAGE_LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /** Silence after which a publication counts as not connected: how fast a dead receiver is noticed. */
    public static final String PUBLICATION_CONNECTION_TIMEOUT_NS_PROP_NAME =
        "spark-dl.aeron.publicationConnectionTimeoutNs";
    public static final long DEFAULT_PUBLICATION_CONNECTION_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /** Silence after which the driver drops a client. */
    public static final String CLIENT_LIVENESS_TIMEOUT_NS_PROP_NAME = "spark-dl.aeron.clientLivenessTimeoutNs";
    public static final long DEFAULT_CLIENT_LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Time after which the driver unblocks a publication left mid-claim; Aeron requires it to exceed the client
     * liveness timeout. 0 derives it as client liveness plus {@link #UNBLOCK_MARGIN_NS}.
     */
    public static final String PUBLICATION_UNBLOCK_TIMEOUT_NS_PROP_NAME =
        "spark-dl.aeron.publicationUnblockTimeoutNs";
    public static final long DEFAULT_PUBLICATION_UNBLOCK_TIMEOUT_NS = 0;
    public static final long UNBLOCK_MARGIN_NS = TimeUnit.SECONDS.toNanos(5);

    /** How long a client waits for the driver to answer. */
    public static final String DRIVER_TIMEOUT_NS_PROP_NAME = "spark-dl.aeron.driverTimeoutNs";
    public static final long DEFAULT_DRIVER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    /** Use Aeron IPC between ranks that share a driver (same JVM); false forces UDP (benchmarks, tests). */
    public static final String IPC_WITHIN_JVM_PROP_NAME = "spark-dl.collective.ipcWithinJvm";
    public static final boolean DEFAULT_IPC_WITHIN_JVM = true;

    /**
     * Reach a rank in another JVM on this host over Aeron IPC through that rank's own driver, instead of
     * UDP over loopback (which costs each side the kernel's copies and the driver's send and receive).
     */
    public static final String IPC_WITHIN_HOST_PROP_NAME = "spark-dl.collective.ipcWithinHost";
    public static final boolean DEFAULT_IPC_WITHIN_HOST = true;

    private static final int MIN_TERM_LENGTH = 64 * 1024;
    private static final int MAX_TERM_LENGTH = 1024 * 1024 * 1024;
    private static final int FRAME_ALIGNMENT = 32;
    private static final int MIN_MTU_LENGTH = 1408;

    private boolean isConcluded;
    private String aeronDirectoryName = System.getProperty(AERON_DIR_PROP_NAME, defaultAeronDirectoryName());
    private ThreadingMode threadingMode =
        ThreadingMode.valueOf(System.getProperty(THREADING_MODE_PROP_NAME, DEFAULT_THREADING_MODE.name()));
    private long driverIdleMaxParkNs = Long.getLong(DRIVER_IDLE_MAX_PARK_NS_PROP_NAME, DEFAULT_DRIVER_IDLE_MAX_PARK_NS);
    private long collectiveIdleMaxParkNs =
        Long.getLong(COLLECTIVE_IDLE_MAX_PARK_NS_PROP_NAME, DEFAULT_COLLECTIVE_IDLE_MAX_PARK_NS);
    private int termLength = Integer.getInteger(TERM_LENGTH_PROP_NAME, DEFAULT_TERM_LENGTH);
    private int ipcTermLength = Integer.getInteger(IPC_TERM_LENGTH_PROP_NAME, DEFAULT_IPC_TERM_LENGTH);
    private long maxBufferBytes = Long.getLong(MAX_BUFFER_BYTES_PROP_NAME, DEFAULT_MAX_BUFFER_BYTES);
    private int mtuLength = Integer.getInteger(MTU_LENGTH_PROP_NAME, DEFAULT_MTU_LENGTH);
    private int socketBufferLength = Integer.getInteger(SOCKET_BUFFER_LENGTH_PROP_NAME, DEFAULT_SOCKET_BUFFER_LENGTH);
    private int receiverWindowLength =
        Integer.getInteger(RECEIVER_WINDOW_LENGTH_PROP_NAME, DEFAULT_RECEIVER_WINDOW_LENGTH);
    private long timeoutNs = Long.getLong(TIMEOUT_NS_PROP_NAME, DEFAULT_TIMEOUT_NS);
    private long connectTimeoutNs = Long.getLong(CONNECT_TIMEOUT_NS_PROP_NAME, DEFAULT_CONNECT_TIMEOUT_NS);
    private long imageLivenessTimeoutNs =
        Long.getLong(IMAGE_LIVENESS_TIMEOUT_NS_PROP_NAME, DEFAULT_IMAGE_LIVENESS_TIMEOUT_NS);
    private long publicationConnectionTimeoutNs =
        Long.getLong(PUBLICATION_CONNECTION_TIMEOUT_NS_PROP_NAME, DEFAULT_PUBLICATION_CONNECTION_TIMEOUT_NS);
    private long clientLivenessTimeoutNs =
        Long.getLong(CLIENT_LIVENESS_TIMEOUT_NS_PROP_NAME, DEFAULT_CLIENT_LIVENESS_TIMEOUT_NS);
    private long publicationUnblockTimeoutNs =
        Long.getLong(PUBLICATION_UNBLOCK_TIMEOUT_NS_PROP_NAME, DEFAULT_PUBLICATION_UNBLOCK_TIMEOUT_NS);
    private long driverTimeoutNs = Long.getLong(DRIVER_TIMEOUT_NS_PROP_NAME, DEFAULT_DRIVER_TIMEOUT_NS);
    private boolean ipcWithinJvm = Boolean.parseBoolean(
        System.getProperty(IPC_WITHIN_JVM_PROP_NAME, Boolean.toString(DEFAULT_IPC_WITHIN_JVM)));
    private boolean ipcWithinHost = Boolean.parseBoolean(
        System.getProperty(IPC_WITHIN_HOST_PROP_NAME, Boolean.toString(DEFAULT_IPC_WITHIN_HOST)));

    /**
     * Default Aeron directory: per process, in /dev/shm when it exists (a tmpfs keeps the logs in memory),
     * else in java.io.tmpdir.
     *
     * @return the default directory name.
     */
    public static String defaultAeronDirectoryName()
    {
        final File shm = new File("/dev/shm");
        final String parent = shm.isDirectory() ? shm.getPath() : System.getProperty("java.io.tmpdir");
        return new File(parent, "spark-dl-aeron-" + ProcessHandle.current().pid()).getPath();
    }

    /**
     * Validate every setting and derive the dependent ones. Idempotent; setters fail afterwards.
     *
     * @return this, concluded.
     * @throws IllegalArgumentException naming the setting and the offending value.
     */
    public CollectiveContext conclude()
    {
        if (isConcluded)
        {
            return this;
        }
        require(aeronDirectoryName != null && !aeronDirectoryName.isBlank(), AERON_DIR_PROP_NAME, aeronDirectoryName);
        require(threadingMode != null, THREADING_MODE_PROP_NAME, threadingMode);
        require(driverIdleMaxParkNs >= 1000, DRIVER_IDLE_MAX_PARK_NS_PROP_NAME, driverIdleMaxParkNs);
        require(collectiveIdleMaxParkNs >= 1000, COLLECTIVE_IDLE_MAX_PARK_NS_PROP_NAME, collectiveIdleMaxParkNs);
        require(maxBufferBytes >= 0, MAX_BUFFER_BYTES_PROP_NAME, maxBufferBytes);
        if (termLength == 0)
        {
            termLength = derivedTermLength(maxBufferBytes);
        }
        require(termLength >= MIN_TERM_LENGTH && termLength <= MAX_TERM_LENGTH && Integer.bitCount(termLength) == 1,
            TERM_LENGTH_PROP_NAME + " (a power of two in [64 KiB, 1 GiB])", termLength);
        if (ipcTermLength == 0)
        {
            ipcTermLength = termLength;
        }
        require(ipcTermLength >= MIN_TERM_LENGTH && ipcTermLength <= MAX_TERM_LENGTH &&
            Integer.bitCount(ipcTermLength) == 1,
            IPC_TERM_LENGTH_PROP_NAME + " (0, or a power of two in [64 KiB, 1 GiB])", ipcTermLength);
        require(mtuLength >= MIN_MTU_LENGTH && mtuLength <= DEFAULT_MTU_LENGTH && mtuLength % FRAME_ALIGNMENT == 0,
            MTU_LENGTH_PROP_NAME + " (a multiple of 32 in [1408, 65504])", mtuLength);
        // Aeron's largest message is termLength / 8; one frame must fit in it.
        final int smallerTerm = Math.min(termLength, ipcTermLength);
        require(mtuLength <= smallerTerm / 8, MTU_LENGTH_PROP_NAME + " (at most the smaller of " +
            TERM_LENGTH_PROP_NAME + " and " + IPC_TERM_LENGTH_PROP_NAME + ", over 8: " + smallerTerm / 8 + ")",
            mtuLength);
        require(socketBufferLength >= mtuLength, SOCKET_BUFFER_LENGTH_PROP_NAME + " (at least the mtu)",
            socketBufferLength);
        require(receiverWindowLength >= mtuLength && receiverWindowLength <= socketBufferLength,
            RECEIVER_WINDOW_LENGTH_PROP_NAME + " (between the mtu and the socket buffer length)", receiverWindowLength);
        require(timeoutNs > 0, TIMEOUT_NS_PROP_NAME, timeoutNs);
        require(connectTimeoutNs > 0, CONNECT_TIMEOUT_NS_PROP_NAME, connectTimeoutNs);
        require(imageLivenessTimeoutNs > 0, IMAGE_LIVENESS_TIMEOUT_NS_PROP_NAME, imageLivenessTimeoutNs);
        require(publicationConnectionTimeoutNs > 0, PUBLICATION_CONNECTION_TIMEOUT_NS_PROP_NAME,
            publicationConnectionTimeoutNs);
        require(clientLivenessTimeoutNs > 0, CLIENT_LIVENESS_TIMEOUT_NS_PROP_NAME, clientLivenessTimeoutNs);
        require(driverTimeoutNs >= TimeUnit.MILLISECONDS.toNanos(1), DRIVER_TIMEOUT_NS_PROP_NAME, driverTimeoutNs);
        if (publicationUnblockTimeoutNs == 0)
        {
            publicationUnblockTimeoutNs = clientLivenessTimeoutNs + UNBLOCK_MARGIN_NS;
        }
        // The driver refuses to start otherwise; say so here, with both values.
        require(publicationUnblockTimeoutNs > clientLivenessTimeoutNs, PUBLICATION_UNBLOCK_TIMEOUT_NS_PROP_NAME +
            " (must exceed " + CLIENT_LIVENESS_TIMEOUT_NS_PROP_NAME + "=" + clientLivenessTimeoutNs + ")",
            publicationUnblockTimeoutNs);
        isConcluded = true;
        return this;
    }

    /**
     * Term length for a buffer of the given size: the next power of two, within
     * [{@link #MIN_DERIVED_TERM_LENGTH}, {@link #MAX_DERIVED_TERM_LENGTH}].
     *
     * @param bufferBytes largest buffer the job reduces.
     * @return a term length in bytes.
     */
    public static int derivedTermLength(final long bufferBytes)
    {
        if (bufferBytes >= MAX_DERIVED_TERM_LENGTH)
        {
            return MAX_DERIVED_TERM_LENGTH;
        }
        final int pow2 = bufferBytes <= 1 ? 1 : Integer.highestOneBit((int)(bufferBytes - 1)) << 1;
        return Math.max(MIN_DERIVED_TERM_LENGTH, pow2);
    }

    private static void require(final boolean condition, final String name, final Object value)
    {
        if (!condition)
        {
            throw new IllegalArgumentException("invalid " + name + ": " + value);
        }
    }

    private void checkMutable()
    {
        if (isConcluded)
        {
            throw new IllegalStateException("CollectiveContext is concluded and can no longer change");
        }
    }

    public boolean isConcluded()
    {
        return isConcluded;
    }

    public String aeronDirectoryName()
    {
        return aeronDirectoryName;
    }

    public CollectiveContext aeronDirectoryName(final String aeronDirectoryName)
    {
        checkMutable();
        this.aeronDirectoryName = aeronDirectoryName;
        return this;
    }

    public ThreadingMode threadingMode()
    {
        return threadingMode;
    }

    public CollectiveContext threadingMode(final ThreadingMode threadingMode)
    {
        checkMutable();
        this.threadingMode = threadingMode;
        return this;
    }

    public long driverIdleMaxParkNs()
    {
        return driverIdleMaxParkNs;
    }

    public CollectiveContext driverIdleMaxParkNs(final long driverIdleMaxParkNs)
    {
        checkMutable();
        this.driverIdleMaxParkNs = driverIdleMaxParkNs;
        return this;
    }

    public long collectiveIdleMaxParkNs()
    {
        return collectiveIdleMaxParkNs;
    }

    public CollectiveContext collectiveIdleMaxParkNs(final long collectiveIdleMaxParkNs)
    {
        checkMutable();
        this.collectiveIdleMaxParkNs = collectiveIdleMaxParkNs;
        return this;
    }

    /** @return data term length in bytes (derived once concluded). */
    public int termLength()
    {
        return termLength;
    }

    public CollectiveContext termLength(final int termLength)
    {
        checkMutable();
        this.termLength = termLength;
        return this;
    }

    /** @return term length in bytes of data publications over IPC to ranks with cores of their own. */
    public int ipcTermLength()
    {
        return ipcTermLength;
    }

    public CollectiveContext ipcTermLength(final int ipcTermLength)
    {
        checkMutable();
        this.ipcTermLength = ipcTermLength;
        return this;
    }

    public long maxBufferBytes()
    {
        return maxBufferBytes;
    }

    /**
     * @param maxBufferBytes largest buffer the job will reduce (e.g. flattened gradient bytes); sizes the terms.
     * @return this.
     */
    public CollectiveContext maxBufferBytes(final long maxBufferBytes)
    {
        checkMutable();
        this.maxBufferBytes = maxBufferBytes;
        return this;
    }

    public int mtuLength()
    {
        return mtuLength;
    }

    public CollectiveContext mtuLength(final int mtuLength)
    {
        checkMutable();
        this.mtuLength = mtuLength;
        return this;
    }

    /** @return MTU of control links: they use a small term, whose largest message is term / 8. */
    public int controlMtuLength()
    {
        return Math.min(mtuLength, CONTROL_TERM_LENGTH / 8);
    }

    public int socketBufferLength()
    {
        return socketBufferLength;
    }

    public CollectiveContext socketBufferLength(final int socketBufferLength)
    {
        checkMutable();
        this.socketBufferLength = socketBufferLength;
        return this;
    }

    public int receiverWindowLength()
    {
        return receiverWindowLength;
    }

    public CollectiveContext receiverWindowLength(final int receiverWindowLength)
    {
        checkMutable();
        this.receiverWindowLength = receiverWindowLength;
        return this;
    }

    public long timeoutNs()
    {
        return timeoutNs;
    }

    public CollectiveContext timeoutNs(final long timeoutNs)
    {
        checkMutable();
        this.timeoutNs = timeoutNs;
        return this;
    }

    public long connectTimeoutNs()
    {
        return connectTimeoutNs;
    }

    public CollectiveContext connectTimeoutNs(final long connectTimeoutNs)
    {
        checkMutable();
        this.connectTimeoutNs = connectTimeoutNs;
        return this;
    }

    public long imageLivenessTimeoutNs()
    {
        return imageLivenessTimeoutNs;
    }

    public CollectiveContext imageLivenessTimeoutNs(final long imageLivenessTimeoutNs)
    {
        checkMutable();
        this.imageLivenessTimeoutNs = imageLivenessTimeoutNs;
        return this;
    }

    public long publicationConnectionTimeoutNs()
    {
        return publicationConnectionTimeoutNs;
    }

    public CollectiveContext publicationConnectionTimeoutNs(final long publicationConnectionTimeoutNs)
    {
        checkMutable();
        this.publicationConnectionTimeoutNs = publicationConnectionTimeoutNs;
        return this;
    }

    public long clientLivenessTimeoutNs()
    {
        return clientLivenessTimeoutNs;
    }

    public CollectiveContext clientLivenessTimeoutNs(final long clientLivenessTimeoutNs)
    {
        checkMutable();
        this.clientLivenessTimeoutNs = clientLivenessTimeoutNs;
        return this;
    }

    public long publicationUnblockTimeoutNs()
    {
        return publicationUnblockTimeoutNs;
    }

    public CollectiveContext publicationUnblockTimeoutNs(final long publicationUnblockTimeoutNs)
    {
        checkMutable();
        this.publicationUnblockTimeoutNs = publicationUnblockTimeoutNs;
        return this;
    }

    public long driverTimeoutNs()
    {
        return driverTimeoutNs;
    }

    public CollectiveContext driverTimeoutNs(final long driverTimeoutNs)
    {
        checkMutable();
        this.driverTimeoutNs = driverTimeoutNs;
        return this;
    }

    public boolean ipcWithinJvm()
    {
        return ipcWithinJvm;
    }

    public CollectiveContext ipcWithinJvm(final boolean ipcWithinJvm)
    {
        checkMutable();
        this.ipcWithinJvm = ipcWithinJvm;
        return this;
    }

    public boolean ipcWithinHost()
    {
        return ipcWithinHost;
    }

    /** @return whether some peers may reach this rank over IPC, so it must listen there as well as on UDP. */
    public boolean listensOnIpc()
    {
        return ipcWithinJvm || ipcWithinHost;
    }

    public CollectiveContext ipcWithinHost(final boolean ipcWithinHost)
    {
        checkMutable();
        this.ipcWithinHost = ipcWithinHost;
        return this;
    }

    public String toString()
    {
        return "CollectiveContext{dir=" + aeronDirectoryName + ", threadingMode=" + threadingMode +
            ", termLength=" + termLength + ", ipcTermLength=" + ipcTermLength + ", maxBufferBytes=" + maxBufferBytes +
            ", mtuLength=" + mtuLength +
            ", socketBufferLength=" + socketBufferLength + ", receiverWindowLength=" + receiverWindowLength +
            ", timeoutNs=" + timeoutNs + ", connectTimeoutNs=" + connectTimeoutNs +
            ", imageLivenessTimeoutNs=" + imageLivenessTimeoutNs +
            ", publicationConnectionTimeoutNs=" + publicationConnectionTimeoutNs +
            ", clientLivenessTimeoutNs=" + clientLivenessTimeoutNs +
            ", publicationUnblockTimeoutNs=" + publicationUnblockTimeoutNs + ", ipcWithinJvm=" + ipcWithinJvm +
            ", ipcWithinHost=" + ipcWithinHost + '}';
    }
}
