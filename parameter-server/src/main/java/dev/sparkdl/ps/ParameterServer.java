package dev.sparkdl.ps;

import dev.sparkdl.collective.CollectiveException;
import dev.sparkdl.collective.PeerAuthenticator;
import dev.sparkdl.collective.Rendezvous;
import dev.sparkdl.compress.Codecs;
import dev.sparkdl.compress.GradientCodec;
import dev.sparkdl.transport.Channels;
import dev.sparkdl.transport.CollectiveContext;
import dev.sparkdl.transport.MediaDriverHandle;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * One rank of the sharded parameter server: the owner of shard {@code rank} (served on an agent thread)
 * and a worker (on the caller's thread). Construction is collective: every rank calls it with the same
 * world size, layout, settings and secret. Then each rank calls {@link #step} once per training step and
 * finally {@link #close()}, which keeps the shard serving until every worker said goodbye.
 *
 * <p>Step t pushes this worker's gradient as clock t and returns once every shard has applied at least
 * t + 1 - s clocks (all t + 1 on the last step, so every replica ends with the same final parameters),
 * having written the freshest parameters into the caller's buffer.
 */
public final class ParameterServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ParameterServer.class);

    /** Settings every rank of a fit agrees on. */
    public record Settings(int staleness, String compression, double compressionThreshold, int compressionTopK)
    {
        public Settings
        {
            if (staleness < 0)
            {
                throw new IllegalArgumentException("staleness must be >= 0, got " + staleness);
            }
            Codecs.create(compression, compressionThreshold, compressionTopK);
        }

        public static Settings synchronous()
        {
            return new Settings(0, "none", Codecs.DEFAULT_THRESHOLD, Codecs.DEFAULT_TOP_K);
        }

        GradientCodec codec()
        {
            return Codecs.create(compression, compressionThreshold, compressionTopK);
        }
    }

    private final int rank;
    private final int worldSize;
    private final CollectiveContext ctx;
    private final Settings settings;
    private final MediaDriverHandle driver;
    private final ShardLinks links;
    private final ShardServerAgent agent;
    private final AgentRunner runner;
    private final ShardClient client;
    private boolean failed;
    private boolean isClosed;

    /**
     * Join the parameter server as {@code rank} of {@code worldSize}; blocks until the mesh is connected
     * and authenticated (at most {@link CollectiveContext#connectTimeoutNs()} plus the rendezvous).
     *
     * @param layout        the shards; shard r is owned by rank r.
     * @param updaterForShard creates the owner's optimizer for shard {@code rank}: called once, with the rank.
     * @param initialShard  the shard's initial parameters (owned from here on).
     */
    public ParameterServer(final CollectiveContext ctx, final Rendezvous rendezvous, final int rank, final int worldSize,
        final byte[] secret, final String bindHost, final ShardLayout layout, final Settings settings,
        final IntFunction<ShardUpdater> updaterForShard, final float[] initialShard)
    {
        if (worldSize < 1 || rank < 0 || rank >= worldSize || layout.shards() != worldSize)
        {
            throw new IllegalArgumentException("rank " + rank + " of " + worldSize + " with " + layout);
        }
        if (initialShard.length != layout.length(rank))
        {
            throw new IllegalArgumentException("shard " + rank + " has " + layout.length(rank) + " elements, got " +
                initialShard.length);
        }
        Objects.requireNonNull(rendezvous, "rendezvous");
        Channels.requireSpecificHost(bindHost);
        final PeerAuthenticator authenticator = new PeerAuthenticator(secret);
        this.ctx = ctx.conclude();
        this.rank = rank;
        this.worldSize = worldSize;
        this.settings = settings;
        final IdleStrategy callerIdle =
            new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), ctx.collectiveIdleMaxParkNs());
        driver = MediaDriverHandle.acquire(ctx);
        ShardLinks connected = null;
        AgentRunner started = null;
        try
        {
            connected = ShardLinks.connect(ctx, driver, rendezvous, rank, worldSize, authenticator, bindHost, callerIdle);
            final GradientCodec decoder = settings.codec();
            final ShardServer server = new ShardServer(rank, worldSize, settings.staleness(), initialShard, decoder,
                updaterForShard.apply(rank), connected.payloadBytes / Float.BYTES, statusIntervalNs(ctx),
                new ShardServerProxy(rank, connected.toClient));
            final ShardServerAgent serverAgent = new ShardServerAgent(server, connected, authenticator);
            // Parks up to the driver's idle park when there is nothing to do: no busy core between steps.
            final IdleStrategy agentIdle = new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1),
                ctx.driverIdleMaxParkNs());
            started = new AgentRunner(agentIdle, ex -> LOG.error("shard {} server failed", rank, ex), null, serverAgent);
            AgentRunner.startOnThread(started);
            this.links = connected;
            this.agent = serverAgent;
            this.runner = started;
            this.client = new ShardClient(rank, layout, settings.codec(), connected, ctx.timeoutNs(), callerIdle,
                serverAgent::failure);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(started, connected, driver);
            throw ex;
        }
    }

    private static long statusIntervalNs(final CollectiveContext ctx)
    {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), ctx.timeoutNs() / 4));
    }

    public int rank()
    {
        return rank;
    }

    public int worldSize()
    {
        return worldSize;
    }

    public Settings settings()
    {
        return settings;
    }

    /** @return clocks this worker pushed. */
    public long clock()
    {
        return client.clock();
    }

    /**
     * @return how many clocks the parameters of the last pull lag behind this worker's own clock: how far it
     *     runs ahead of the slowest worker (0 when synchronous, at most the staleness bound).
     */
    public long staleness()
    {
        return client.clock() - client.pulledClock();
    }

    /**
     * Push this worker's gradient as its next clock and pull fresh parameters.
     *
     * @param gradient full flattened gradient, a SUM over {@code rows} rows (read only).
     * @param params   full parameter vector, overwritten with the pulled parameters.
     * @param statsOut receives rows and loss sum (over all workers) of the newest clock applied; for s = 0
     *                 that is this step's.
     * @param last     whether this is the worker's last step (then the pull waits for every clock).
     * @throws CollectiveException naming the rank to blame.
     */
    public void step(final FloatBuffer gradient, final int rows, final double lossSum, final int epoch,
        final FloatBuffer params, final double[] statsOut, final boolean last)
    {
        if (isClosed || failed)
        {
            throw new IllegalStateException("rank " + rank + "'s parameter server is " + (isClosed ? "closed" : "failed"));
        }
        try
        {
            final long pushedClock = client.clock();
            client.push(gradient, rows, lossSum, epoch);
            final long minClock = last ? pushedClock + 1 : Math.max(0, pushedClock + 1 - settings.staleness());
            client.pull(minClock, params, statsOut);
        }
        catch (final RuntimeException ex)
        {
            failed = true;
            throw ex;
        }
    }

    /** A shard's parameters and optimizer state at one clock. */
    public record ShardState(long clock, float[] params, float[] updaterState)
    {
    }

    /**
     * This rank's shard as it stands after {@code clock} clocks, for a checkpoint. Call it when every worker
     * has pushed exactly {@code clock} clocks and none pushes more until every rank has its state (a
     * checkpoint's collective): the shard then applies the last of them and stands still while it is read.
     *
     * @throws CollectiveException when the shard does not reach the clock within the timeout.
     */
    public ShardState shardState(final long clock)
    {
        final long deadlineNs = System.nanoTime() + ctx.timeoutNs();
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, TimeUnit.MICROSECONDS.toNanos(10),
            TimeUnit.MILLISECONDS.toNanos(1));
        while (agent.applied() < clock)
        {
            if (null != agent.failure() || Thread.currentThread().isInterrupted() ||
                System.nanoTime() - deadlineNs > 0)
            {
                throw new CollectiveException(CollectiveException.Reason.TIMEOUT, rank,
                    links.peers[rank].serverEndpoint(), "shard " + rank + " did not reach clock " + clock +
                    " for a checkpoint (applied " + agent.applied() + ", slowest worker rank " +
                    agent.server().laggard() + ")" + (null == agent.failure() ? "" : ": " + agent.failure()));
            }
            idle.idle();
        }
        // The agent published applied after writing params and state; nothing is applied until the next push.
        final ShardServer server = agent.server();
        return new ShardState(clock, server.params().clone(), server.updaterState());
    }

    /** @return the residual this worker's codec carries to its next push (live; for tests). */
    public float[] residual()
    {
        return client.residual();
    }

    /** @return bytes this worker offered to owners (pushes, pulls, goodbyes). */
    public long bytesPushed()
    {
        return client.bytesPushed();
    }

    /** @return bytes of parameter chunks this worker received. */
    public long bytesPulled()
    {
        return client.bytesPulled();
    }

    ShardLinks links()
    {
        return links;
    }

    /** @return how this rank reaches each rank, e.g. "rank 0 over ipc, rank 1 over udp". */
    public String linkMedia()
    {
        return links.media();
    }

    /** @return this rank's shard server (read its counters after close). */
    public ShardServer server()
    {
        return agent.server();
    }

    /**
     * Say goodbye and serve the shard until every worker has (at most the timeout), then release the
     * agent thread, links and driver. After a failure it releases at once. Idempotent; never throws for a
     * peer's sake.
     */
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        try
        {
            if (!failed)
            {
                client.bye();
                final long deadlineNs = System.nanoTime() + ctx.timeoutNs();
                final IdleStrategy idle = new BackoffIdleStrategy(10, 10, TimeUnit.MICROSECONDS.toNanos(10),
                    TimeUnit.MILLISECONDS.toNanos(1));
                while (!agent.isFinished() && null == agent.failure() && System.nanoTime() - deadlineNs < 0 &&
                    !Thread.currentThread().isInterrupted())
                {
                    idle.idle();
                }
                if (!agent.isFinished())
                {
                    LOG.warn("rank {} stopped its shard before every worker said goodbye", rank);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("rank {} could not leave the parameter server cleanly", rank, ex);
        }
        finally
        {
            CloseHelper.closeAll(runner, links, driver);
        }
    }
}
