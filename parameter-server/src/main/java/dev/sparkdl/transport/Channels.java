package dev.sparkdl.transport;

import io.aeron.ChannelUriStringBuilder;
import io.aeron.CommonContext;

/**
 * Channel strings for collectives: every udp channel gets the context's mtu, socket buffers and windows,
 * so no caller can forget them (Aeron's defaults, 1408-byte frames and OS-sized buffers, are an order
 * of magnitude slower on loopback).
 */
public final class Channels
{
    /** Wildcard addresses a collective must never bind to. */
    private static final String[] WILDCARDS = {"0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0"};

    private Channels()
    {
    }

    /**
     * Subscription on the executor's own address with an ephemeral port (read it back with
     * {@code Subscription.resolvedEndpoint()}).
     *
     * @param ctx      concluded context.
     * @param bindHost address of this executor, never a wildcard.
     * @return the channel.
     */
    public static String udpSubscription(final CollectiveContext ctx, final String bindHost)
    {
        return new ChannelUriStringBuilder()
            .media(CommonContext.UDP_MEDIA)
            .endpoint(hostPort(bindHost, 0))
            .socketRcvbufLength(ctx.socketBufferLength())
            .receiverWindowLength(ctx.receiverWindowLength())
            .build();
    }

    /**
     * @param ctx        concluded context.
     * @param endpoint   the receiver's resolved {@code host:port}.
     * @param termLength term length of this publication.
     * @param mtuLength  frame size of this publication.
     * @return the channel.
     */
    public static String udpPublication(
        final CollectiveContext ctx, final String endpoint, final int termLength, final int mtuLength)
    {
        return new ChannelUriStringBuilder()
            .media(CommonContext.UDP_MEDIA)
            .endpoint(endpoint)
            .termLength(termLength)
            .mtu(mtuLength)
            .socketSndbufLength(ctx.socketBufferLength())
            .build();
    }

    /** @return the channel IPC subscriptions use. */
    public static String ipcSubscription()
    {
        return CommonContext.IPC_CHANNEL;
    }

    /**
     * @param termLength term length of this publication.
     * @param mtuLength  frame size of this publication.
     * @return the channel.
     */
    public static String ipcPublication(final int termLength, final int mtuLength)
    {
        return new ChannelUriStringBuilder()
            .media(CommonContext.IPC_MEDIA)
            .termLength(termLength)
            .mtu(mtuLength)
            .build();
    }

    /**
     * @param ctx        concluded context.
     * @param medium     how the link reaches its peer.
     * @param endpoint   the peer's resolved {@code host:port} (used for UDP only).
     * @param termLength term length of this publication.
     * @param mtuLength  frame size of this publication.
     * @return the publication channel for that medium.
     */
    public static String publication(final CollectiveContext ctx, final LinkMedium medium, final String endpoint,
        final int termLength, final int mtuLength)
    {
        return medium.isIpc() ? ipcPublication(termLength, mtuLength) :
            udpPublication(ctx, endpoint, termLength, mtuLength);
    }

    /**
     * @param host an address, IPv6 with or without brackets.
     * @param port a port.
     * @return {@code host:port}, bracketing IPv6 literals.
     */
    public static String hostPort(final String host, final int port)
    {
        final boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
        return (ipv6 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * @param bindHost address to check.
     * @throws IllegalArgumentException when it is blank or a wildcard address.
     */
    public static void requireSpecificHost(final String bindHost)
    {
        if (bindHost == null || bindHost.isBlank())
        {
            throw new IllegalArgumentException("bindHost must be this executor's address, got '" + bindHost + "'");
        }
        for (final String wildcard : WILDCARDS)
        {
            if (wildcard.equals(bindHost.trim()))
            {
                throw new IllegalArgumentException(
                    "bindHost must be this executor's own address, never the wildcard " + bindHost);
            }
        }
    }
}
