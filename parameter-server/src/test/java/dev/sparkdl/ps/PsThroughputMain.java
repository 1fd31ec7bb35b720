package dev.sparkdl.ps;

import dev.sparkdl.collective.InMemoryRendezvous;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Manual measurement (not a test): N thread ranks push and pull a vector of {@code floats} floats for
 * {@code steps} synchronous steps; prints MB/s of gradient pushed plus parameters pulled per rank.
 * Usage: PsThroughputMain floats steps workers ipc|udp codec
 */
public final class PsThroughputMain
{
    public static void main(final String[] args) throws Exception
    {
        final int floats = Integer.parseInt(args[0]);
        final int steps = Integer.parseInt(args[1]);
        final int workers = Integer.parseInt(args[2]);
        final boolean ipc = "ipc".equals(args[3]);
        final String codec = args[4];
        final String dir = PsTestSupport.freshAeronDir();
        final ShardLayout layout = ShardLayout.even(floats, workers);
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(workers, TimeUnit.SECONDS.toNanos(30));
        final long[] elapsedNs = new long[workers];
        final long[] bytes = new long[workers];
        PsTestSupport.runRanks(workers, 300_000, rank ->
        {
            final FloatBuffer params = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            final FloatBuffer gradient = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
            for (int i = 0; i < floats; i++)
            {
                gradient.put(i, (float)Math.sin(i) * 1e-2f);
            }
            try (ParameterServer ps = new ParameterServer(PsTestSupport.context(dir, 30_000).ipcWithinJvm(ipc)
                .maxBufferBytes((long)floats * 4 / workers), rendezvous.forRank(rank), rank, workers,
                PsTestSupport.SECRET, PsTestSupport.LOOPBACK, layout,
                new ParameterServer.Settings(0, codec, 5e-3, floats / 100), r -> PsTestSupport.sgd(0.1f),
                new float[layout.length(rank)]))
            {
                ps.step(gradient, 1, 0, 0, params, new double[2], false);
                final long startNs = System.nanoTime();
                final long before = ps.bytesPushed() + ps.bytesPulled();
                for (int t = 1; t < steps; t++)
                {
                    ps.step(gradient, 1, 0, 0, params, new double[2], t == steps - 1);
                }
                elapsedNs[rank] = System.nanoTime() - startNs;
                bytes[rank] = ps.bytesPushed() + ps.bytesPulled() - before;
            }
            return null;
        }).forEach(PsTestSupport.Outcome::orThrow);
        final double seconds = elapsedNs[0] / 1e9;
        final double denseMb = 2.0 * floats * 4 * (steps - 1) / 1e6;
        System.out.printf("floats=%d workers=%d %s codec=%s: %.1f steps/s, %.0f MB/s dense push+pull per rank, " +
            "%.0f MB/s on the wire, wire/dense %.3f%n", floats, workers, ipc ? "ipc" : "udp", codec,
            (steps - 1) / seconds, denseMb / seconds, bytes[0] / 1e6 / seconds, bytes[0] / 1e6 / denseMb);
    }
}
