package dev.sparkdl.collective;

import dev.sparkdl.codec.ChunkFlyweight;
import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.codec.HelloFlyweight;
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
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.sparkdl.collective.CollectiveException.Reason.AUTHENTICATION;
import static dev.sparkdl.collective.CollectiveException.Reason.INTERRUPTED;
import static dev.sparkdl.collective.CollectiveException.Reason.PROTOCOL;
import static dev.sparkdl.collective.CollectiveException.Reason.TIMEOUT;

/**
 * A rank's two links in the ring, connected and authenticated: data flows from prev into this rank's
 * subscription and on to next; control messages (abort, ack) flow the other way. One subscription
 * stream per rank receives both the data image from prev and the control image from next; which image
 * is which is settled by the authenticated hello it starts with, and images that did not say hello are
 * never read.
 *
 * <p>Each link takes the cheapest medium both ends can use: IPC on the shared driver when the neighbour
 * runs in this JVM, IPC on the neighbour's own driver when it runs in another JVM on this host
 * ({@link CoLocatedDrivers}), else UDP. A receiver listens on IPC and UDP alike, so the two ends of a link
 * never need to agree beforehand.
 */
final class RingLinks implements AutoCloseable
{
    private static final AtomicInteger STREAM_IDS =
        new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16, 1 << 30));
    private static final SecureRandom NONCES = new SecureRandom();

    final int rank;
    final int worldSize;
    final PeerInfo[] peers;
    final PeerInfo prev;
    final PeerInfo next;
    final int chunkBytes;
    LinkMedium dataMedium;
    LinkMedium controlMedium;
    int dataTermLength;
    ExclusivePublication dataPublication;
    ExclusivePublication controlPublication;
    Image dataImage;
    Image controlImage;
    private Subscription ipcSubscription;
    private Subscription udpSubscription;
    private CoLocatedDrivers.Lease nextDriver;
    private CoLocatedDrivers.Lease prevDriver;

    private RingLinks(final int rank, final int worldSize, final PeerInfo[] peers, final int chunkBytes)
    {
        this.rank = rank;
        this.worldSize = worldSize;
        this.peers = peers;
        this.prev = peers[Math.floorMod(rank - 1, worldSize)];
        this.next = peers[Math.floorMod(rank + 1, worldSize)];
        this.chunkBytes = chunkBytes;
    }

    /** Payload bytes per chunk for a given mtu: one unfragmented Aeron frame, a whole number of doubles. */
    static int chunkBytesFor(final int mtuLength)
    {
        return (mtuLength - DataHeaderFlyweight.HEADER_LENGTH - ChunkFlyweight.HEADER_LENGTH) & ~(Double.BYTES - 1);
    }

    /**
     * Open this rank's subscriptions, swap endpoints through the rendezvous, open the publications and
     * run the handshake with both neighbours.
     */
    static RingLinks connect(final CollectiveContext ctx, final MediaDriverHandle driver, final Rendezvous rendezvous,
        final int rank, final int worldSize, final PeerAuthenticator authenticator, final String bindHost,
        final IdleStrategy idle)
    {
        final Aeron aeron = driver.aeron();
        final long deadlineNs = System.nanoTime() + ctx.connectTimeoutNs();
        final int streamId = STREAM_IDS.getAndIncrement();
        Subscription ipc = null;
        Subscription udp = null;
        RingLinks links = null;
        try
        {
            if (ctx.listensOnIpc())
            {
                ipc = aeron.addSubscription(Channels.ipcSubscription(), streamId);
            }
            udp = aeron.addSubscription(Channels.udpSubscription(ctx, bindHost), streamId);
            final String endpoint = awaitResolvedEndpoint(udp, driver, rank, deadlineNs, ctx, idle);

            final byte[] nonce = new byte[PeerInfo.NONCE_LENGTH];
            NONCES.nextBytes(nonce);
            final PeerInfo self = new PeerInfo(rank, worldSize, driver.driverId(),
                CoLocatedDrivers.announce(ctx, driver), endpoint, streamId, nonce,
                PeerInfo.nativeOrder(), chunkBytesFor(ctx.mtuLength()));
            final PeerInfo[] peers = gather(rendezvous, self);
            int chunkBytes = Integer.MAX_VALUE;
            for (final PeerInfo peer : peers)
            {
                chunkBytes = Math.min(chunkBytes, peer.chunkBytes);
            }
            links = new RingLinks(rank, worldSize, peers, chunkBytes);
            links.ipcSubscription = ipc;
            links.udpSubscription = udp;
            ipc = null;
            udp = null;
            links.openPublications(ctx, aeron, driver);
            links.handshake(authenticator, driver, deadlineNs, ctx, idle);
            return links;
        }
        catch (final RuntimeException ex)
        {
            if (null != links && ex instanceof CollectiveException failure)
            {
                // Both neighbours fail with this verdict instead of timing out waiting for this rank.
                new RingProxy(rank).abortNeighbours(failure, driver, links.dataPublication, links.controlPublication);
            }
            CloseHelper.quietCloseAll(links, ipc, udp);
            throw ex;
        }
    }

    private static String awaitResolvedEndpoint(final Subscription udp, final MediaDriverHandle driver,
        final int rank, final long deadlineNs, final CollectiveContext ctx, final IdleStrategy idle)
    {
        idle.reset();
        String endpoint;
        while (null == (endpoint = udp.resolvedEndpoint()))
        {
            checkWait(rank, deadlineNs, ctx, "binding " + udp.channel(), null);
            idle.idle(driver.invokeDriver());
        }
        return endpoint;
    }

    private static PeerInfo[] gather(final Rendezvous rendezvous, final PeerInfo self)
    {
        final String[] infos = rendezvous.allGather(self.encode());
        if (null == infos || infos.length != self.worldSize)
        {
            throw new CollectiveException(PROTOCOL, CollectiveException.NO_RANK, null, "rendezvous returned " +
                (null == infos ? "null" : infos.length + " entries") + " for world size " + self.worldSize);
        }
        final PeerInfo[] peers = new PeerInfo[infos.length];
        for (int i = 0; i < infos.length; i++)
        {
            final PeerInfo peer;
            try
            {
                peer = PeerInfo.parse(infos[i]);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CollectiveException(PROTOCOL, i, null, "rank " + i + " published a bad endpoint record",
                    ex);
            }
            if (peer.rank != i || peer.worldSize != self.worldSize || !peer.byteOrder.equals(self.byteOrder))
            {
                throw new CollectiveException(PROTOCOL, i, peer.endpoint, "entry " + i + " of the rendezvous says " +
                    "rank " + peer.rank + " of " + peer.worldSize + " (" + peer.byteOrder + "), expected rank " + i +
                    " of " + self.worldSize + " (" + self.byteOrder + ")");
            }
            peers[i] = peer;
        }
        return peers;
    }

    private boolean isInThisJvm(final CollectiveContext ctx, final PeerInfo peer)
    {
        return ctx.ipcWithinJvm() && peer.driverId.equals(peers[rank].driverId);
    }

    private boolean mayBeCoLocated(final CollectiveContext ctx, final PeerInfo peer)
    {
        final PeerInfo self = peers[rank];
        return CoLocatedDrivers.mayPublishHere(ctx, self.directory, self.driverId, peer.directory, peer.driverId);
    }

    private CoLocatedDrivers.Lease coLocatedDriver(final CollectiveContext ctx, final PeerInfo peer)
    {
        final PeerInfo self = peers[rank];
        return CoLocatedDrivers.connect(ctx, self.directory, self.driverId, peer.directory, peer.driverId);
    }

    /** @return next or prev when it ran in another JVM on this host that has exited, else null. */
    PeerInfo exitedCoLocatedNeighbour()
    {
        return null != nextDriver && nextDriver.hasPeerExited() ? next :
            null != prevDriver && prevDriver.hasPeerExited() ? prev : null;
    }

    /** @return e.g. "data to rank 1 over udp, control to rank 2 over ipc across JVMs". */
    String media()
    {
        return "data to rank " + next.rank + " over " + dataMedium.label() + ", control to rank " + prev.rank +
            " over " + controlMedium.label();
    }

    /**
     * The data link's term: the small IPC term when the link is IPC and every rank on this host can have a
     * core (the log stays in the cache), else the buffer-sized term.
     */
    static int dataTermLength(final CollectiveContext ctx, final LinkMedium medium, final int ranksOnHost,
        final int cores)
    {
        return medium.isIpc() && ranksOnHost <= cores ? ctx.ipcTermLength() : ctx.termLength();
    }

    /** @return ranks in this JVM or in another JVM on this host, this one included. */
    private int ranksOnThisHost()
    {
        final PeerInfo self = peers[rank];
        int count = 0;
        for (final PeerInfo peer : peers)
        {
            if (peer.driverId.equals(self.driverId) || CoLocatedDrivers.isOnThisHost(peer.directory, peer.driverId))
            {
                count++;
            }
        }
        return count;
    }

    private void openPublications(final CollectiveContext ctx, final Aeron aeron, final MediaDriverHandle driver)
    {
        final boolean nextIpc = isInThisJvm(ctx, next);
        final boolean prevIpc = isInThisJvm(ctx, prev);
        nextDriver = nextIpc ? null : coLocatedDriver(ctx, next);
        prevDriver = prevIpc ? null : coLocatedDriver(ctx, prev);
        dataMedium = LinkMedium.of(nextIpc, nextDriver);
        controlMedium = LinkMedium.of(prevIpc, prevDriver);
        final int termLength = ctx.termLength();
        // Counting reads each peer's driver id file: only worth it when the term could be the IPC one.
        final int ranksOnHost = dataMedium.isIpc() ? ranksOnThisHost() : 1;
        dataTermLength = dataTermLength(ctx, dataMedium, ranksOnHost, Runtime.getRuntime().availableProcessors());
        final int controlTerm = CollectiveContext.CONTROL_TERM_LENGTH;
        // Our two publication logs, plus the images a udp receiver maps for what neighbours send us.
        final long bytesNeeded = StorageCheck.logLength(dataTermLength) + StorageCheck.logLength(controlTerm) +
            (prevIpc ? 0 : StorageCheck.logLength(termLength)) + (nextIpc ? 0 : StorageCheck.logLength(controlTerm));
        StorageCheck.requireUsableSpace(Path.of(driver.aeronDirectoryName()), bytesNeeded,
            "ring allreduce rank " + rank + " (data term length " + dataTermLength + ")");

        dataPublication = CoLocatedDrivers.publisher(nextDriver, aeron).addExclusivePublication(
            Channels.publication(ctx, dataMedium, next.endpoint, dataTermLength, ctx.mtuLength()), next.streamId);
        controlPublication = CoLocatedDrivers.publisher(prevDriver, aeron).addExclusivePublication(
            Channels.publication(ctx, controlMedium, prev.endpoint, controlTerm, ctx.controlMtuLength()),
            prev.streamId);
        if (dataPublication.maxPayloadLength() < ChunkFlyweight.HEADER_LENGTH + chunkBytes)
        {
            throw new IllegalStateException("data publication payload " + dataPublication.maxPayloadLength() +
                " is smaller than a chunk of " + chunkBytes + " bytes");
        }
        if (!nextIpc && !prevIpc && !mayBeCoLocated(ctx, next) && !mayBeCoLocated(ctx, prev))
        {
            CloseHelper.quietClose(ipcSubscription);
            ipcSubscription = null;
        }
        if (nextIpc && prevIpc)
        {
            CloseHelper.quietClose(udpSubscription);
            udpSubscription = null;
        }
    }

    /**
     * Send a hello on each link and read the neighbours': a valid hello is accepted as soon as it arrives; a
     * refusal is raised only once this rank's own hellos are out, so a refused rank still shows its hello to
     * the other side, which then names it. An abort that follows an accepted hello (a neighbour that failed
     * its own handshake, e.g. by refusing a forger) fails this rank with the neighbour's verdict at once,
     * instead of leaving it to time out waiting for that neighbour.
     */
    private void handshake(final PeerAuthenticator authenticator, final MediaDriverHandle driver,
        final long deadlineNs, final CollectiveContext ctx, final IdleStrategy idle)
    {
        final RingProxy proxy = new RingProxy(rank);
        final HelloReader reader = new HelloReader();
        final AbortWatch aborts = new AbortWatch(new ChunkReceiver.AbortReader(peers));
        final byte[] dataProof = authenticator.proof(HelloFlyweight.LINK_DATA, rank, next.rank, worldSize, next.nonce);
        final byte[] controlProof =
            authenticator.proof(HelloFlyweight.LINK_CONTROL, rank, prev.rank, worldSize, prev.nonce);
        boolean dataHelloSent = false;
        boolean controlHelloSent = false;
        CollectiveException refusal = null;
        final List<Image> images = new ArrayList<>();
        idle.reset();
        while (!dataHelloSent || !controlHelloSent || null == dataImage || null == controlImage)
        {
            int work = 0;
            if (!dataHelloSent && dataPublication.isConnected())
            {
                dataHelloSent = proxy.offerHello(dataPublication, HelloFlyweight.LINK_DATA, next.rank, worldSize,
                    dataProof) > 0;
                work += dataHelloSent ? 1 : 0;
            }
            if (!controlHelloSent && controlPublication.isConnected())
            {
                controlHelloSent = proxy.offerHello(controlPublication, HelloFlyweight.LINK_CONTROL, prev.rank,
                    worldSize, controlProof) > 0;
                work += controlHelloSent ? 1 : 0;
            }
            images.clear();
            if (null != ipcSubscription)
            {
                images.addAll(ipcSubscription.images());
            }
            if (null != udpSubscription)
            {
                images.addAll(udpSubscription.images());
            }
            work += driver.invokeDriver();
            for (final Image image : images)
            {
                if (image == dataImage || image == controlImage)
                {
                    // Peek behind an accepted hello for an abort; leave anything else (a fast neighbour's
                    // first chunks) for the ring.
                    work += aborts.scan(image, image == dataImage ? prev : next);
                }
                else if (!reader.isRead(image))
                {
                    reader.reset();
                    if (image.poll(reader, 1) > 0)
                    {
                        work++;
                        reader.markRead(image);
                        final CollectiveException refused = accept(image, reader, authenticator);
                        refusal = null == refusal ? refused : refusal;
                    }
                }
            }
            if (null != aborts.found)
            {
                throw aborts.found;
            }
            if (null != refusal && dataHelloSent && controlHelloSent)
            {
                throw refusal;
            }
            if (0 == work)
            {
                if (null != refusal && System.nanoTime() - deadlineNs > 0)
                {
                    throw refusal;
                }
                final PeerInfo awaited = awaitedPeer(dataHelloSent);
                checkWait(rank, deadlineNs, ctx, handshakeState(dataHelloSent, controlHelloSent), awaited);
                idle.idle();
            }
            else
            {
                idle.reset();
            }
        }
    }

    /** @return null when the image's hello is valid (the link is taken), else the refusal to raise. */
    private CollectiveException accept(final Image image, final HelloReader reader,
        final PeerAuthenticator authenticator)
    {
        final String source = image.sourceIdentity();
        if (!reader.isHello)
        {
            return new CollectiveException(AUTHENTICATION, CollectiveException.NO_RANK, source,
                "refused a peer at " + source + " whose first message was not a hello");
        }
        final PeerInfo expected = reader.link == HelloFlyweight.LINK_DATA ? prev :
            reader.link == HelloFlyweight.LINK_CONTROL ? next : null;
        final boolean valid = null != expected && reader.senderRank == expected.rank &&
            reader.receiverRank == rank && reader.worldSize == worldSize &&
            authenticator.verify(reader.mac, reader.link, reader.senderRank, rank, worldSize, peers[rank].nonce);
        if (!valid)
        {
            final int claimed = reader.senderRank >= 0 && reader.senderRank < worldSize ? reader.senderRank :
                CollectiveException.NO_RANK;
            return new CollectiveException(AUTHENTICATION, claimed,
                claimed == CollectiveException.NO_RANK ? source : peers[claimed].endpoint,
                "refused the peer claiming to be rank " + reader.senderRank + " (source " + source + ", link " +
                reader.link + ") on rank " + rank + ": its hello does not prove the per-fit secret for this ring");
        }
        if (reader.link == HelloFlyweight.LINK_DATA && null == dataImage)
        {
            dataImage = image;
            return null;
        }
        if (reader.link == HelloFlyweight.LINK_CONTROL && null == controlImage)
        {
            controlImage = image;
            return null;
        }
        return new CollectiveException(AUTHENTICATION, expected.rank, expected.endpoint,
            "a second hello for link " + reader.link + " from " + expected.describe());
    }

    private String handshakeState(final boolean dataHelloSent, final boolean controlHelloSent)
    {
        if (null == dataImage)
        {
            return "waiting for an authenticated data link from " + prev.describe();
        }
        if (!dataHelloSent)
        {
            return "waiting to connect to " + next.describe();
        }
        if (null == controlImage)
        {
            return "waiting for an authenticated control link from " + next.describe();
        }
        return "waiting to connect to " + prev.describe();
    }

    private PeerInfo awaitedPeer(final boolean dataHelloSent)
    {
        return null == dataImage ? prev : !dataHelloSent || null == controlImage ? next : prev;
    }

    private static void checkWait(final int rank, final long deadlineNs, final CollectiveContext ctx,
        final String what, final PeerInfo awaited)
    {
        if (Thread.currentThread().isInterrupted())
        {
            throw new CollectiveException(INTERRUPTED, rank, null, "rank " + rank + " interrupted while " + what);
        }
        if (System.nanoTime() - deadlineNs > 0)
        {
            throw new CollectiveException(TIMEOUT, null == awaited ? CollectiveException.NO_RANK : awaited.rank,
                null == awaited ? null : awaited.endpoint,
                "rank " + rank + " gave up after " + ctx.connectTimeoutNs() / 1_000_000 + " ms " + what);
        }
    }

    public void close()
    {
        // Publications before the clients of co-located drivers they were added on.
        CloseHelper.quietCloseAll(dataPublication, controlPublication, ipcSubscription, udpSubscription, nextDriver,
            prevDriver);
    }

    /** Takes an abort from the head of an authenticated image; leaves any other message unread. */
    private static final class AbortWatch implements ControlledFragmentHandler
    {
        private final ChunkReceiver.AbortReader abortReader;
        private PeerInfo from;
        CollectiveException found;

        AbortWatch(final ChunkReceiver.AbortReader abortReader)
        {
            this.abortReader = abortReader;
        }

        int scan(final Image image, final PeerInfo from)
        {
            this.from = from;
            return null == found ? image.controlledPoll(this, 1) : 0;
        }

        public Action onFragment(final org.agrona.DirectBuffer buffer, final int offset, final int length,
            final io.aeron.logbuffer.Header header)
        {
            if (MessageHeader.typeOf(buffer, offset, length) != MessageHeader.TYPE_ABORT)
            {
                return Action.ABORT;
            }
            found = abortReader.read(buffer, offset, length, from);
            return Action.COMMIT;
        }
    }

    /** Reads one hello, copying its fields out (the term buffer is only valid inside the callback). */
    private static final class HelloReader implements FragmentHandler
    {
        private final HelloFlyweight hello = new HelloFlyweight();
        private final List<Image> read = new ArrayList<>();
        final byte[] mac = new byte[HelloFlyweight.MAC_LENGTH];
        boolean isHello;
        int senderRank;
        int receiverRank;
        int worldSize;
        int link;

        void reset()
        {
            isHello = false;
            senderRank = -1;
        }

        boolean isRead(final Image image)
        {
            return read.contains(image);
        }

        void markRead(final Image image)
        {
            read.add(image);
        }

        public void onFragment(final org.agrona.DirectBuffer buffer, final int offset, final int length,
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
