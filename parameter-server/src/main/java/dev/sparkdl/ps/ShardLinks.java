package dev.sparkdl.ps;

import dev.sparkdl.codec.HelloFlyweight;
import dev.sparkdl.codec.ShardChunkFlyweight;
import dev.sparkdl.collective.CollectiveException;
import dev.sparkdl.collective.PeerAuthenticator;
import dev.sparkdl.collective.Rendezvous;
import dev.sparkdl.transport.Channels;
import dev.sparkdl.transport.CoLocatedDrivers;
import dev.sparkdl.transport.CollectiveContext;
import dev.sparkdl.transport.LinkMedium;
import dev.sparkdl.transport.MediaDriverHandle;
import dev.sparkdl.transport.StorageCheck;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.sparkdl.collective.CollectiveException.Reason.INTERRUPTED;
import static dev.sparkdl.collective.CollectiveException.Reason.PROTOCOL;
import static dev.sparkdl.collective.CollectiveException.Reason.TIMEOUT;

/**
 * The full mesh of one rank: an inbox for its shard (requests from every worker, itself included) and an
 * inbox for its worker (replies from every owner), each an IPC subscription (ranks on this driver) and a
 * UDP one on the executor's address; a request and a response publication to every rank. Every
 * publication opens with an HMAC hello proving the per-fit secret for that link and that receiver's nonce;
 * images are read only once their hello checked out, and any other image is refused and logged.
 */
final class ShardLinks implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ShardLinks.class);
    private static final AtomicInteger STREAM_IDS =
        new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16, 1 << 29) * 2);
    private static final SecureRandom NONCES = new SecureRandom();

    final int rank;
    final int worldSize;
    final ShardPeer[] peers;
    final int payloadBytes;
    final ExclusivePublication[] toServer;
    final ExclusivePublication[] toClient;
    /** Authenticated request images, by worker rank (read by the shard's agent). */
    final Image[] fromWorker;
    /** Authenticated response images, by owner rank (read by the worker). */
    final Image[] fromOwner;
    private final List<Subscription> serverInbox = new ArrayList<>();
    private final List<Subscription> clientInbox = new ArrayList<>();
    private final Set<Long> known = new HashSet<>();
    /** Per peer rank: a client on its own driver when it runs in another JVM on this host, else null. */
    private final CoLocatedDrivers.Lease[] peerDrivers;
    private final LinkMedium[] media;

    private ShardLinks(final int rank, final int worldSize, final ShardPeer[] peers, final int payloadBytes)
    {
        this.rank = rank;
        this.worldSize = worldSize;
        this.peers = peers;
        this.payloadBytes = payloadBytes;
        this.toServer = new ExclusivePublication[worldSize];
        this.toClient = new ExclusivePublication[worldSize];
        this.fromWorker = new Image[worldSize];
        this.fromOwner = new Image[worldSize];
        this.peerDrivers = new CoLocatedDrivers.Lease[worldSize];
        this.media = new LinkMedium[worldSize];
    }

    /** @return how this rank reaches each rank, e.g. "rank 0 over ipc, rank 1 over udp". */
    String media()
    {
        final StringBuilder out = new StringBuilder();
        for (int r = 0; r < worldSize; r++)
        {
            out.append(r == 0 ? "" : ", ").append("rank ").append(r).append(" over ")
                .append(null == media[r] ? "-" : media[r].label());
        }
        return out.toString();
    }

    /** @return whether the peer ran in another JVM on this host that has exited. */
    boolean hasExited(final int peer)
    {
        return null != peerDrivers[peer] && peerDrivers[peer].hasPeerExited();
    }

    /** Payload bytes of one chunk: an unfragmented Aeron frame, a whole number of doubles. */
    static int payloadBytesFor(final int mtuLength)
    {
        return (mtuLength - DataHeaderFlyweight.HEADER_LENGTH - ShardChunkFlyweight.HEADER_LENGTH) & ~(Double.BYTES - 1);
    }

    static ShardLinks connect(final CollectiveContext ctx, final MediaDriverHandle driver, final Rendezvous rendezvous,
        final int rank, final int worldSize, final PeerAuthenticator authenticator, final String bindHost,
        final IdleStrategy idle)
    {
        final Aeron aeron = driver.aeron();
        final long deadlineNs = System.nanoTime() + ctx.connectTimeoutNs();
        final int serverStream = STREAM_IDS.getAndAdd(2);
        final int clientStream = serverStream + 1;
        final List<Subscription> opened = new ArrayList<>();
        ShardLinks links = null;
        try
        {
            final Subscription serverUdp = aeron.addSubscription(Channels.udpSubscription(ctx, bindHost), serverStream);
            opened.add(serverUdp);
            final Subscription clientUdp = aeron.addSubscription(Channels.udpSubscription(ctx, bindHost), clientStream);
            opened.add(clientUdp);
            Subscription serverIpc = null;
            Subscription clientIpc = null;
            if (ctx.listensOnIpc())
            {
                serverIpc = aeron.addSubscription(Channels.ipcSubscription(), serverStream);
                opened.add(serverIpc);
                clientIpc = aeron.addSubscription(Channels.ipcSubscription(), clientStream);
                opened.add(clientIpc);
            }
            final String serverEndpoint = awaitEndpoint(serverUdp, rank, deadlineNs, ctx, idle);
            final String clientEndpoint = awaitEndpoint(clientUdp, rank, deadlineNs, ctx, idle);
            final byte[] nonce = new byte[ShardPeer.NONCE_LENGTH];
            NONCES.nextBytes(nonce);
            final ShardPeer self = new ShardPeer(rank, worldSize, driver.driverId(),
                CoLocatedDrivers.announce(ctx, driver), serverEndpoint, clientEndpoint,
                serverStream, clientStream, nonce, ShardPeer.nativeOrder(), payloadBytesFor(ctx.mtuLength()));
            final ShardPeer[] peers = gather(rendezvous, self);
            int payloadBytes = Integer.MAX_VALUE;
            for (final ShardPeer peer : peers)
            {
                payloadBytes = Math.min(payloadBytes, peer.payloadBytes());
            }
            links = new ShardLinks(rank, worldSize, peers, payloadBytes);
            links.serverInbox.add(serverUdp);
            links.clientInbox.add(clientUdp);
            if (null != serverIpc)
            {
                links.serverInbox.add(serverIpc);
                links.clientInbox.add(clientIpc);
            }
            opened.clear();
            links.openPublications(ctx, aeron, driver);
            links.handshake(authenticator, deadlineNs, ctx, idle);
            return links;
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(opened);
            CloseHelper.quietClose(links);
            throw ex;
        }
    }

    private static String awaitEndpoint(final Subscription udp, final int rank, final long deadlineNs,
        final CollectiveContext ctx, final IdleStrategy idle)
    {
        idle.reset();
        String endpoint;
        while (null == (endpoint = udp.resolvedEndpoint()))
        {
            checkWait(rank, deadlineNs, ctx, "binding " + udp.channel(), null);
            idle.idle();
        }
        return endpoint;
    }

    private static ShardPeer[] gather(final Rendezvous rendezvous, final ShardPeer self)
    {
        final String[] infos = rendezvous.allGather(self.encode());
        if (null == infos || infos.length != self.worldSize())
        {
            throw new CollectiveException(PROTOCOL, CollectiveException.NO_RANK, null, "rendezvous returned " +
                (null == infos ? "null" : infos.length + " entries") + " for world size " + self.worldSize());
        }
        final ShardPeer[] peers = new ShardPeer[infos.length];
        for (int i = 0; i < infos.length; i++)
        {
            final ShardPeer peer;
            try
            {
                peer = ShardPeer.parse(infos[i]);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CollectiveException(PROTOCOL, i, null, "rank " + i + " published a bad endpoint record", ex);
            }
            if (peer.rank() != i || peer.worldSize() != self.worldSize() || !peer.byteOrder().equals(self.byteOrder()))
            {
                throw new CollectiveException(PROTOCOL, i, peer.serverEndpoint(), "entry " + i + " of the rendezvous " +
                    "says rank " + peer.rank() + " of " + peer.worldSize() + " (" + peer.byteOrder() + "), expected rank " +
                    i + " of " + self.worldSize() + " (" + self.byteOrder() + ")");
            }
            peers[i] = peer;
        }
        return peers;
    }

    private boolean isInThisJvm(final CollectiveContext ctx, final ShardPeer peer)
    {
        return ctx.ipcWithinJvm() && peer.driverId().equals(peers[rank].driverId());
    }

    private void openPublications(final CollectiveContext ctx, final Aeron aeron, final MediaDriverHandle driver)
    {
        final int termLength = ctx.termLength();
        long bytesNeeded = 0;
        for (final ShardPeer peer : peers)
        {
            // Our two publications to the peer, plus the two images a udp receiver maps for the peer's to us.
            bytesNeeded += (isInThisJvm(ctx, peer) ? 2 : 4) * StorageCheck.logLength(termLength);
        }
        StorageCheck.requireUsableSpace(Path.of(driver.aeronDirectoryName()), bytesNeeded,
            "parameter server rank " + rank + " (" + worldSize + " peers, termLength " + termLength + ")");
        final ShardPeer self = peers[rank];
        for (final ShardPeer peer : peers)
        {
            final int r = peer.rank();
            final boolean inThisJvm = isInThisJvm(ctx, peer);
            peerDrivers[r] = inThisJvm ? null :
                CoLocatedDrivers.connect(ctx, self.directory(), self.driverId(), peer.directory(), peer.driverId());
            media[r] = LinkMedium.of(inThisJvm, peerDrivers[r]);
            final Aeron publisher = CoLocatedDrivers.publisher(peerDrivers[r], aeron);
            toServer[r] = publisher.addExclusivePublication(
                Channels.publication(ctx, media[r], peer.serverEndpoint(), termLength, ctx.mtuLength()),
                peer.serverStream());
            toClient[r] = publisher.addExclusivePublication(
                Channels.publication(ctx, media[r], peer.clientEndpoint(), termLength, ctx.mtuLength()),
                peer.clientStream());
        }
        LOG.info("parameter server rank {} of {} links: {}", rank, worldSize, media());
    }

    private void handshake(final PeerAuthenticator authenticator, final long deadlineNs, final CollectiveContext ctx,
        final IdleStrategy idle)
    {
        final boolean[] requestHelloSent = new boolean[worldSize];
        final boolean[] responseHelloSent = new boolean[worldSize];
        final UnsafeBuffer helloBuffer = new UnsafeBuffer(new byte[HelloFlyweight.LENGTH]);
        final HelloFlyweight hello = new HelloFlyweight();
        idle.reset();
        while (true)
        {
            int work = 0;
            int pending = 0;
            for (int peer = 0; peer < worldSize; peer++)
            {
                if (!requestHelloSent[peer])
                {
                    requestHelloSent[peer] = offerHello(toServer[peer], HelloFlyweight.LINK_PS_REQUEST, peer,
                        authenticator, hello, helloBuffer);
                    work += requestHelloSent[peer] ? 1 : 0;
                    pending += requestHelloSent[peer] ? 0 : 1;
                }
                if (!responseHelloSent[peer])
                {
                    responseHelloSent[peer] = offerHello(toClient[peer], HelloFlyweight.LINK_PS_RESPONSE, peer,
                        authenticator, hello, helloBuffer);
                    work += responseHelloSent[peer] ? 1 : 0;
                    pending += responseHelloSent[peer] ? 0 : 1;
                }
                pending += (null == fromWorker[peer] ? 1 : 0) + (null == fromOwner[peer] ? 1 : 0);
            }
            work += scanNewImages(authenticator);
            if (0 == pending)
            {
                return;
            }
            if (0 == work)
            {
                checkWait(rank, deadlineNs, ctx, describeWait(requestHelloSent, responseHelloSent), awaited(
                    requestHelloSent, responseHelloSent));
                idle.idle();
            }
            else
            {
                idle.reset();
            }
        }
    }

    private boolean offerHello(final ExclusivePublication publication, final int link, final int receiver,
        final PeerAuthenticator authenticator, final HelloFlyweight hello, final UnsafeBuffer buffer)
    {
        if (!publication.isConnected())
        {
            return false;
        }
        hello.wrapForEncode(buffer, 0, rank).receiverRank(receiver).worldSize(worldSize).link(link)
            .mac(authenticator.proof(link, rank, receiver, worldSize, peers[receiver].nonce()));
        return publication.offer(buffer, 0, HelloFlyweight.LENGTH) > 0;
    }

    /**
     * Read the first message of every image not seen before: an authenticated hello assigns it to its
     * sender; anything else is refused (never read again) and logged. Safe to call after the handshake,
     * from the shard's agent, to refuse latecomers.
     *
     * @return images examined.
     */
    int scanNewImages(final PeerAuthenticator authenticator)
    {
        int work = 0;
        work += scan(serverInbox, HelloFlyweight.LINK_PS_REQUEST, fromWorker, authenticator);
        work += scan(clientInbox, HelloFlyweight.LINK_PS_RESPONSE, fromOwner, authenticator);
        return work;
    }

    private int scan(final List<Subscription> inbox, final int link, final Image[] assigned,
        final PeerAuthenticator authenticator)
    {
        int work = 0;
        for (final Subscription subscription : inbox)
        {
            for (int i = 0, n = subscription.imageCount(); i < n; i++)
            {
                final Image image = subscription.imageAtIndex(i);
                if (known.contains(image.correlationId()))
                {
                    continue;
                }
                final HelloReader reader = new HelloReader();
                if (image.poll(reader, 1) == 0)
                {
                    continue;
                }
                work++;
                known.add(image.correlationId());
                final String refusal = check(reader, link, assigned, authenticator);
                if (null == refusal)
                {
                    assigned[reader.senderRank] = image;
                }
                else
                {
                    LOG.warn("rank {} refused the parameter-server peer at {}: {}", rank, image.sourceIdentity(), refusal);
                }
            }
        }
        return work;
    }

    private String check(final HelloReader reader, final int link, final Image[] assigned,
        final PeerAuthenticator authenticator)
    {
        if (!reader.isHello)
        {
            return "its first message was not a hello";
        }
        if (reader.link != link || reader.receiverRank != rank || reader.worldSize != worldSize ||
            reader.senderRank < 0 || reader.senderRank >= worldSize)
        {
            return "its hello is for link " + reader.link + ", rank " + reader.receiverRank + " of " + reader.worldSize +
                " from rank " + reader.senderRank;
        }
        if (!authenticator.verify(reader.mac, link, reader.senderRank, rank, worldSize, peers[rank].nonce()))
        {
            return "its hello claiming rank " + reader.senderRank + " does not prove the per-fit secret";
        }
        if (null != assigned[reader.senderRank])
        {
            return "rank " + reader.senderRank + " already has an authenticated link of kind " + link;
        }
        return null;
    }

    private String describeWait(final boolean[] requestHelloSent, final boolean[] responseHelloSent)
    {
        final int peer = awaited(requestHelloSent, responseHelloSent).rank();
        return "connecting the parameter-server mesh (links with " + peers[peer].describe() + ": request hello sent " +
            requestHelloSent[peer] + ", response hello sent " + responseHelloSent[peer] + ", its requests " +
            (null != fromWorker[peer]) + ", its responses " + (null != fromOwner[peer]) + ")";
    }

    private ShardPeer awaited(final boolean[] requestHelloSent, final boolean[] responseHelloSent)
    {
        for (int peer = 0; peer < worldSize; peer++)
        {
            if (!requestHelloSent[peer] || !responseHelloSent[peer] || null == fromWorker[peer] ||
                null == fromOwner[peer])
            {
                return peers[peer];
            }
        }
        return peers[rank];
    }

    static void checkWait(final int rank, final long deadlineNs, final CollectiveContext ctx, final String what,
        final ShardPeer awaited)
    {
        if (Thread.currentThread().isInterrupted())
        {
            throw new CollectiveException(INTERRUPTED, rank, null, "rank " + rank + " interrupted while " + what);
        }
        if (System.nanoTime() - deadlineNs > 0)
        {
            throw new CollectiveException(TIMEOUT, null == awaited ? CollectiveException.NO_RANK : awaited.rank(),
                null == awaited ? null : awaited.serverEndpoint(),
                "rank " + rank + " gave up after " + ctx.connectTimeoutNs() / 1_000_000 + " ms " + what);
        }
    }

    public void close()
    {
        CloseHelper.quietCloseAll(toServer);
        CloseHelper.quietCloseAll(toClient);
        CloseHelper.quietCloseAll(serverInbox);
        CloseHelper.quietCloseAll(clientInbox);
        // After the publications added on them.
        CloseHelper.quietCloseAll(peerDrivers);
    }

    /** Reads one hello, copying its fields out (the term buffer is only valid inside the callback). */
    private static final class HelloReader implements io.aeron.logbuffer.FragmentHandler
    {
        private final HelloFlyweight hello = new HelloFlyweight();
        final byte[] mac = new byte[HelloFlyweight.MAC_LENGTH];
        boolean isHello;
        int senderRank = -1;
        int receiverRank;
        int worldSize;
        int link;

        public void onFragment(final DirectBuffer buffer, final int offset, final int length,
            final io.aeron.logbuffer.Header header)
        {
            isHello = hello.tryWrap(buffer, offset, length);
            if (isHello)
            {
                senderRank = hello.senderRank();
                receiverRank = hello.receiverRank();
                worldSize = hello.worldSize();
                link = hello.link();
                hello.getMac(mac);
            }
        }
    }
}
