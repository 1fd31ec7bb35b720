package dev.sparkdl.collective;

import dev.sparkdl.transport.CollectiveContext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Manual measurement, not a test: two ranks (threads) reduce a 4M-float buffer over IPC and over UDP
 * loopback and print the algorithm bandwidth (buffer bytes / time per allreduce).
 * Run: java -cp target/test-classes:target/classes:&lt;deps&gt; dev.sparkdl.collective.RingThroughputMain
 */
public final class RingThroughputMain
{
    private RingThroughputMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int elements = 4 * 1024 * 1024;
        final int iterations = 20;
        for (final boolean ipc : new boolean[]{true, false})
        {
            final String dir = TestContexts.freshAeronDir();
            final InMemoryRendezvous rendezvous = new InMemoryRendezvous(2, TimeUnit.SECONDS.toNanos(20));
            final List<ThreadRanks.Outcome<Long>> outcomes = ThreadRanks.run(2, 120_000, rank ->
            {
                final CollectiveContext ctx = new CollectiveContext().aeronDirectoryName(dir)
                    .maxBufferBytes(elements * 4L).ipcWithinJvm(ipc);
                try (RingAllreduce ring = new RingAllreduce(ctx, rendezvous.forRank(rank), rank, 2,
                    TestContexts.SECRET, TestContexts.LOOPBACK))
                {
                    final ByteBuffer buffer = ByteBuffer.allocateDirect(elements * 4).order(ByteOrder.nativeOrder());
                    for (int i = 0; i < 3; i++)
                    {
                        ring.sum(buffer, ElementType.FLOAT, elements);
                    }
                    final long start = System.nanoTime();
                    for (int i = 0; i < iterations; i++)
                    {
                        ring.sum(buffer, ElementType.FLOAT, elements);
                    }
                    return System.nanoTime() - start;
                }
            });
            final long ns = outcomes.get(0).orThrow();
            final double gbps = (double)elements * 4 * iterations / ns;
            System.out.printf("%s 2 ranks, 4M floats: %.2f ms per allreduce, %.2f GB/s%n", ipc ? "IPC" : "UDP",
                ns / 1e6 / iterations, gbps);
        }
    }
}
