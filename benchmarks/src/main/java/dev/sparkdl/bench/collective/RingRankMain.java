package dev.sparkdl.bench.collective;

import dev.sparkdl.collective.ElementType;
import dev.sparkdl.collective.Rendezvous;
import dev.sparkdl.collective.RingAllreduce;
import dev.sparkdl.transport.CollectiveContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * One ring rank as its own JVM. Arguments: rendezvousDir rank worldSize secretHex sizes(csv floats) warmup reps
 * timeoutMs [jitWarmupOps]. Prints {@code TIME <floats> <rep> <ns> <cpu ns of the calling thread>} per timed sum,
 * {@code OTHERCPU <floats> <cpu ns of all other threads per timed sum>}, {@code CHECK <floats> ok|bad ...},
 * {@code DONE}; {@code ERROR ...} and exit 2 on failure. A watchdog halts the JVM after timeoutMs.
 */
public final class RingRankMain
{
    private static final java.lang.management.ThreadMXBean THREADS =
        java.lang.management.ManagementFactory.getThreadMXBean();

    /** Size of the JIT warm-up sums: four chunks per rank and step at two ranks. */
    private static final long JIT_WARMUP_FLOATS = 256 * 1024;

    private RingRankMain()
    {
    }

    public static void main(final String[] args)
    {
        final Path dir = Path.of(args[0]);
        final int rank = Integer.parseInt(args[1]);
        final int worldSize = Integer.parseInt(args[2]);
        final byte[] secret = HexFormat.of().parseHex(args[3]);
        final long[] sizes = parseSizes(args[4]);
        final int warmup = Integer.parseInt(args[5]);
        final int reps = Integer.parseInt(args[6]);
        final long timeoutMs = Long.parseLong(args[7]);
        final int jitWarmupOps = args.length > 8 ? Integer.parseInt(args[8]) : 0;
        Watchdog.start(timeoutMs);

        long largest = 0;
        for (final long n : sizes)
        {
            largest = Math.max(largest, n);
        }
        final CollectiveContext ctx = new CollectiveContext()
            .maxBufferBytes(largest * Float.BYTES)
            .ipcWithinJvm(false)
            .timeoutNs(TimeUnit.SECONDS.toNanos(60))
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(60));
        try (RingAllreduce ring = new RingAllreduce(ctx, new DirRendezvous(dir, rank, worldSize, 60_000),
            rank, worldSize, secret, "127.0.0.1"))
        {
            System.out.println("CONFIG " + ctx);
            System.out.println("MEDIA " + ring.linkMedia());
            System.out.println("DATA_TERM " + ring.dataTermLength());
            printThreadCpu("start");
            jitWarmup(ring, Math.min(largest, JIT_WARMUP_FLOATS), jitWarmupOps);
            for (final long n : sizes)
            {
                final ByteBuffer buffer = ByteBuffer.allocateDirect(Math.toIntExact(n * Float.BYTES))
                    .order(ByteOrder.nativeOrder());
                final FloatBuffer floats = buffer.asFloatBuffer();
                for (int i = 0; i < n; i++)
                {
                    floats.put(i, 1.0f);
                }
                for (int i = 0; i < warmup; i++)
                {
                    ring.sum(buffer, ElementType.FLOAT, n);
                }
                final long otherThreadsCpuStart = otherThreadsCpuNs();
                for (int rep = 0; rep < reps; rep++)
                {
                    final long cpuStart = THREADS.getCurrentThreadCpuTime();
                    final long start = System.nanoTime();
                    ring.sum(buffer, ElementType.FLOAT, n);
                    final long ns = System.nanoTime() - start;
                    // The calling thread's CPU time next to the wall time: waiting shows as the difference.
                    System.out.println("TIME " + n + " " + rep + " " + ns + " " +
                        (THREADS.getCurrentThreadCpuTime() - cpuStart));
                }
                // The driver's threads (sender, receiver, conductor) and the client's, per timed sum.
                System.out.println("OTHERCPU " + n + " " + (otherThreadsCpuNs() - otherThreadsCpuStart) / reps);
                // Every element started at 1 on every rank and was summed warmup + reps times.
                final double expected = Math.pow(worldSize, warmup + reps);
                final float first = floats.get(0);
                final float last = floats.get((int)n - 1);
                final float mid = floats.get((int)(n / 2));
                final boolean ok = first == (float)expected && last == (float)expected && mid == (float)expected;
                System.out.println("CHECK " + n + " " + (ok ? "ok" : "bad expected " + expected + " got " + first +
                    "/" + mid + "/" + last));
                System.out.flush();
            }
            printDriverCounters(dev.sparkdl.transport.MediaDriverHandle.driverDirectory(ctx.aeronDirectoryName()));
            printThreadCpu("end");
        }
        catch (final Throwable ex)
        {
            exitFailed(rank, ex);
        }
        exitDone();
    }

    /**
     * Sums of a small buffer before anything is timed, the same count on every rank: a few sums leave the
     * ring's loops interpreted or half-compiled, and the first timed sums then measured the JIT (60-120 ms
     * for 1M floats before, 15-20 ms after a few hundred sums).
     */
    private static void jitWarmup(final RingAllreduce ring, final long floats, final int ops)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(Math.toIntExact(floats * Float.BYTES))
            .order(ByteOrder.nativeOrder());
        for (int i = 0; i < ops; i++)
        {
            buffer.putFloat(0, 1.0f);
            ring.sum(buffer, ElementType.FLOAT, floats);
        }
    }

    /** CPU time of every thread but this one (the media driver's and the Aeron client's threads). */
    private static long otherThreadsCpuNs()
    {
        long total = 0;
        for (final long id : THREADS.getAllThreadIds())
        {
            if (id != Thread.currentThread().getId())
            {
                total += Math.max(0, THREADS.getThreadCpuTime(id));
            }
        }
        return total;
    }

    /** The last lines of a rank child, as the harness reads them: {@code ERROR rank r: ...}, exit code 2. */
    public static void exitFailed(final int rank, final Throwable ex)
    {
        System.out.println("ERROR rank " + rank + ": " + ex);
        ex.printStackTrace(System.out);
        System.out.flush();
        System.exit(2);
    }

    /** The last line of a rank child that finished: {@code DONE}, exit code 0. */
    public static void exitDone()
    {
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    /** Prints the driver's system counters (loss, NAKs, retransmits, flow control) as {@code COUNTER name value}. */
    static void printDriverCounters(final String aeronDir)
    {
        try (io.aeron.Aeron aeron = io.aeron.Aeron.connect(new io.aeron.Aeron.Context().aeronDirectoryName(aeronDir)))
        {
            final org.agrona.concurrent.status.CountersReader counters = aeron.countersReader();
            counters.forEach((counterId, typeId, keyBuffer, label) ->
            {
                final long value = counters.getCounterValue(counterId);
                if (typeId == io.aeron.AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID && value != 0)
                {
                    System.out.println("COUNTER " + label.replace(' ', '_') + " " + value);
                }
            });
        }
    }

    /** Prints CPU time per thread as {@code CPU <when> <thread> <ms>} (who burns the cores during the run). */
    static void printThreadCpu(final String when)
    {
        for (final java.lang.management.ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds()))
        {
            if (null != info)
            {
                final long ns = THREADS.getThreadCpuTime(info.getThreadId());
                if (ns > 10_000_000)
                {
                    System.out.println("CPU " + when + " " + info.getThreadName().replace(' ', '_').replaceAll(
                        "[0-9]+", "N") + " " + ns / 1_000_000);
                }
            }
        }
    }

    public static long[] parseSizes(final String csv)
    {
        final String[] parts = csv.split(",");
        final long[] sizes = new long[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            sizes[i] = Long.parseLong(parts[i].trim());
        }
        return sizes;
    }

    /** Exchanges endpoint strings through files in a directory both ranks can see. */
    public static final class DirRendezvous implements Rendezvous
    {
        private final Path dir;
        private final int rank;
        private final int worldSize;
        private final long timeoutMs;
        private int call;

        public DirRendezvous(final Path dir, final int rank, final int worldSize, final long timeoutMs)
        {
            this.dir = dir;
            this.rank = rank;
            this.worldSize = worldSize;
            this.timeoutMs = timeoutMs;
        }

        @Override
        public String[] allGather(final String localInfo)
        {
            final String prefix = "gather" + (call++) + "_";
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            try
            {
                final Path partial = dir.resolve("." + prefix + rank + ".part");
                Files.write(partial, localInfo.getBytes(StandardCharsets.US_ASCII));
                Files.move(partial, dir.resolve(prefix + rank), StandardCopyOption.ATOMIC_MOVE);
                final String[] all = new String[worldSize];
                int found = 0;
                while (found < worldSize)
                {
                    found = 0;
                    for (int r = 0; r < worldSize; r++)
                    {
                        if (all[r] == null && Files.exists(dir.resolve(prefix + r)))
                        {
                            all[r] = Files.readString(dir.resolve(prefix + r), StandardCharsets.US_ASCII);
                        }
                        found += all[r] == null ? 0 : 1;
                    }
                    if (found < worldSize)
                    {
                        if (System.nanoTime() > deadline)
                        {
                            throw new IllegalStateException("rendezvous in " + dir + " timed out after " + timeoutMs +
                                " ms with " + found + " of " + worldSize + " ranks");
                        }
                        Thread.sleep(5);
                    }
                }
                return all;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("rendezvous interrupted", ex);
            }
        }
    }
}
