package dev.sparkdl.bench.collective;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The TCP loopback bound: a plain blocking stream of the same bytes between two JVMs, direct buffers on both
 * sides. {@code recv sizes warmup reps timeoutMs} prints {@code PORT <port>}, reads each message fully and
 * answers one byte; {@code send port sizes warmup reps timeoutMs} writes each message and waits for that byte,
 * printing {@code TIME <floats> <rep> <ns>}. A watchdog halts either JVM after timeoutMs.
 */
public final class TcpStreamMain
{
    private static final int RECEIVE_CHUNK = 4 * 1024 * 1024;

    private TcpStreamMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final boolean receiver = "recv".equals(args[0]);
        final int shift = receiver ? 0 : 1;
        final long[] sizes = RingRankMain.parseSizes(args[1 + shift]);
        final int warmup = Integer.parseInt(args[2 + shift]);
        final int reps = Integer.parseInt(args[3 + shift]);
        Watchdog.start(Long.parseLong(args[4 + shift]));
        final ByteBuffer ack = ByteBuffer.allocateDirect(1);
        if (receiver)
        {
            try (ServerSocketChannel server = ServerSocketChannel.open())
            {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                System.out.println("PORT " + server.socket().getLocalPort());
                System.out.flush();
                try (SocketChannel channel = server.accept())
                {
                    final ByteBuffer chunk = ByteBuffer.allocateDirect(RECEIVE_CHUNK);
                    for (final long n : sizes)
                    {
                        for (int i = 0; i < warmup + reps; i++)
                        {
                            long left = n * Float.BYTES;
                            while (left > 0)
                            {
                                chunk.clear().limit((int)Math.min(RECEIVE_CHUNK, left));
                                final int read = channel.read(chunk);
                                if (read < 0)
                                {
                                    throw new IOException("sender closed with " + left + " bytes to go");
                                }
                                left -= read;
                            }
                            ack.clear();
                            while (ack.hasRemaining())
                            {
                                channel.write(ack);
                            }
                        }
                    }
                }
            }
        }
        else
        {
            try (SocketChannel channel = SocketChannel.open())
            {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[1])));
                for (final long n : sizes)
                {
                    final ByteBuffer message = ByteBuffer.allocateDirect(Math.toIntExact(n * Float.BYTES));
                    for (int i = 0; i < warmup + reps; i++)
                    {
                        message.clear();
                        final long start = System.nanoTime();
                        while (message.hasRemaining())
                        {
                            channel.write(message);
                        }
                        ack.clear();
                        while (ack.hasRemaining())
                        {
                            if (channel.read(ack) < 0)
                            {
                                throw new IOException("receiver closed before its acknowledgement");
                            }
                        }
                        final long ns = System.nanoTime() - start;
                        if (i >= warmup)
                        {
                            System.out.println("TIME " + n + " " + (i - warmup) + " " + ns);
                        }
                    }
                }
            }
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }
}
