package dev.sparkdl.ps;

import dev.sparkdl.collective.PeerAuthenticator;
import io.aeron.Image;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;

import java.util.concurrent.TimeUnit;

/**
 * Runs a rank's {@link ShardServer} on its own thread, so the shard keeps serving while its worker is in
 * backprop: polls every worker's authenticated request image, applies completed clocks and answers pulls.
 * Now and then it looks for new images and refuses them. Never blocks; the runner's idle strategy parks
 * it when there is nothing to do.
 */
final class ShardServerAgent implements Agent
{
    private static final int FRAGMENT_LIMIT = 32;
    private static final long SCAN_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ShardServer server;
    private final ShardLinks links;
    private final PeerAuthenticator authenticator;
    private final FragmentHandler[] handlers;
    private long lastScanNs;
    private volatile boolean finished;
    private volatile long applied;
    private volatile Throwable failure;

    ShardServerAgent(final ShardServer server, final ShardLinks links, final PeerAuthenticator authenticator)
    {
        this.server = server;
        this.links = links;
        this.authenticator = authenticator;
        this.handlers = new FragmentHandler[links.worldSize];
        for (int w = 0; w < handlers.length; w++)
        {
            final int worker = w;
            handlers[w] = (buffer, offset, length, header) -> server.onMessage(worker, buffer, offset, length);
        }
    }

    public int doWork()
    {
        try
        {
            int work = 0;
            for (int w = 0; w < handlers.length; w++)
            {
                final Image image = links.fromWorker[w];
                if (null != image && !image.isClosed())
                {
                    work += image.poll(handlers[w], FRAGMENT_LIMIT);
                }
            }
            final long nowNs = System.nanoTime();
            work += server.doWork(nowNs);
            if (nowNs - lastScanNs > SCAN_INTERVAL_NS)
            {
                lastScanNs = nowNs;
                work += links.scanNewImages(authenticator);
            }
            applied = server.applied();
            if (!finished && server.isFinished())
            {
                finished = true;
            }
            return work;
        }
        catch (final RuntimeException | Error ex)
        {
            failure = ex;
            throw new AgentTerminationException(ex);
        }
    }

    public String roleName()
    {
        return "spark-dl-shard-" + server.shard();
    }

    /** @return whether every worker said goodbye and every reply went out. */
    boolean isFinished()
    {
        return finished;
    }

    /** @return clocks applied to this shard (as last seen by the agent thread). */
    long applied()
    {
        return applied;
    }

    /** @return what stopped the agent, or null. */
    Throwable failure()
    {
        return failure;
    }

    ShardServer server()
    {
        return server;
    }
}
