package dev.sparkdl.bench.collective;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

/**
 * The UDP loopback bound: the same bytes as datagrams of Aeron's largest frame between two JVMs, blocking
 * channels and 4 MiB socket buffers (the ring's settings). {@code recv sizes warmup reps timeoutMs} prints
 * {@code PORT <port>} and counts the datagrams of each message; {@code send port sizes warmup reps timeoutMs}
 * sends them, then a FIN until the receiver acknowledges with its count, and prints
 * {@code TIME <floats> <rep> <ns> <received> <sent>}. Nothing is retransmitted: loss shows in the counts.
 */
public final class UdpStreamMain
{
    static final int DATAGRAM = 65504;
    private static final int HEADER = 12;
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    private static final int FIN = -1;
    private static final long FIN_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private UdpStreamMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final boolean receiver = "recv".equals(args[0]);
        final int shift = receiver ? 0 : 1;
        final long[] sizes = RingRankMain.parseSizes(args[1 + shift]);
        final int messages = sizes.length * (Integer.parseInt(args[2 + shift]) + Integer.parseInt(args[3 + shift]));
        final int warmup = Integer.parseInt(args[2 + shift]);
        Watchdog.start(Long.parseLong(args[4 + shift]));
        try (DatagramChannel channel = DatagramChannel.open())
        {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (receiver)
            {
                System.out.println("PORT " + ((InetSocketAddress)channel.getLocalAddress()).getPort());
                System.out.flush();
                receive(channel, messages);
            }
            else
            {
                final SocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    Integer.parseInt(args[1]));
                int message = 0;
                for (final long n : sizes)
                {
                    final long bytes = n * Float.BYTES;
                    for (int i = 0; i < Integer.parseInt(args[3]) + Integer.parseInt(args[4]); i++, message++)
                    {
                        final long[] result = send(channel, target, message, bytes);
                        if (i >= warmup)
                        {
                            System.out.println("TIME " + n + " " + (i - warmup) + " " + result[0] + " " + result[1] +
                                " " + result[2]);
                        }
                    }
                }
            }
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    /** @return {ns until acknowledged, datagrams received, datagrams sent}. */
    private static long[] send(final DatagramChannel channel, final SocketAddress target, final int message,
        final long bytes) throws IOException
    {
        final ByteBuffer datagram = ByteBuffer.allocateDirect(DATAGRAM);
        final ByteBuffer ack = ByteBuffer.allocateDirect(HEADER);
        final int count = (int)((bytes + DATAGRAM - HEADER - 1) / (DATAGRAM - HEADER));
        final long start = System.nanoTime();
        long left = bytes;
        for (int i = 0; i < count; i++)
        {
            final int payload = (int)Math.min(DATAGRAM - HEADER, left);
            left -= payload;
            datagram.clear().putInt(0, message).putInt(4, i).putInt(8, count).limit(HEADER + payload);
            channel.send(datagram, target);
        }
        channel.configureBlocking(false);
        long lastFinNs = 0;
        while (true)
        {
            if (System.nanoTime() - lastFinNs > FIN_INTERVAL_NS)
            {
                datagram.clear().putInt(0, message).putInt(4, FIN).putInt(8, count).limit(HEADER);
                channel.send(datagram, target);
                lastFinNs = System.nanoTime();
            }
            ack.clear();
            if (null != channel.receive(ack) && ack.getInt(0) == message)
            {
                final long ns = System.nanoTime() - start;
                channel.configureBlocking(true);
                return new long[]{ns, ack.getInt(4), count};
            }
            Thread.onSpinWait();
        }
    }

    private static void receive(final DatagramChannel channel, final int messages) throws IOException
    {
        final ByteBuffer datagram = ByteBuffer.allocateDirect(DATAGRAM);
        final int[] received = new int[messages];
        int acknowledged = -1;
        long doneAtNs = 0;
        while (true)
        {
            datagram.clear();
            if (acknowledged == messages - 1)
            {
                // Answer repeated FINs a little longer, then stop.
                channel.configureBlocking(false);
                if (System.nanoTime() - doneAtNs > TimeUnit.MILLISECONDS.toNanos(500))
                {
                    return;
                }
            }
            final SocketAddress from = channel.receive(datagram);
            if (null == from)
            {
                Thread.onSpinWait();
                continue;
            }
            final int message = datagram.getInt(0);
            if (message < 0 || message >= messages)
            {
                continue;
            }
            if (datagram.getInt(4) == FIN)
            {
                final ByteBuffer ack = ByteBuffer.allocate(HEADER).putInt(0, message).putInt(4, received[message]);
                channel.send(ack, from);
                if (message > acknowledged)
                {
                    acknowledged = message;
                    doneAtNs = System.nanoTime();
                }
            }
            else
            {
                received[message]++;
            }
        }
    }
}
