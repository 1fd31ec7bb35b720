package dev.sparkdl.ps;

import dev.sparkdl.collective.CollectiveException;
import dev.sparkdl.collective.FileRendezvous;
import dev.sparkdl.transport.CoLocatedDrivers;
import dev.sparkdl.transport.CollectiveContext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * One parameter-server rank as its own JVM, for the multi-process tests. Prints {@code AERON_DIR <dir>},
 * {@code MEDIA <how it reaches each rank>}, {@code ENDPOINT <rank> <shard server endpoint>} per rank and
 * {@code DONE <n>} after each of its first ten steps; then {@code MISMATCHES <count>[ first <detail>]}
 * (elements differing from the exactly known result), {@code RESULT <crc32c of the parameters>} and
 * {@code CO_LOCATED_CLIENTS <clients left once closed>} and exits 0; or
 * {@code ERROR <exception class> <culprit rank> <message>} and exits 2.
 *
 * <p>Arguments: rendezvousDir rank worldSize length clocks timeoutMs ipcWithinHost.
 */
public final class ShardProcessMain
{
    /** A power of two, and total rows are 4: every update and sum is exact in float. */
    static final float LR = 0.25f;

    private ShardProcessMain()
    {
    }

    /** Small integers, so sums over ranks are exact and the result is known bit for bit. */
    static float gradient(final int rank, final long clock, final int i)
    {
        return (float)((i + 3 * rank + 5 * clock) % 7 - 3);
    }

    /** Rows rank r pushes per step: 1, 1, 2 for three ranks (4 in all, a power of two). */
    static int rows(final int rank)
    {
        return rank == 2 ? 2 : 1;
    }

    static float initial(final int i)
    {
        return i % 1000;
    }

    public static void main(final String[] args)
    {
        final Path rendezvousDir = Path.of(args[0]);
        final int rank = Integer.parseInt(args[1]);
        final int worldSize = Integer.parseInt(args[2]);
        final int length = Integer.parseInt(args[3]);
        final int clocks = Integer.parseInt(args[4]);
        final long timeoutMs = Long.parseLong(args[5]);
        final boolean ipcWithinHost = Boolean.parseBoolean(args[6]);
        final CollectiveContext ctx = PsTestSupport.context(PsTestSupport.freshAeronDir(), timeoutMs)
            .ipcWithinHost(ipcWithinHost);
        System.out.println("AERON_DIR " + ctx.aeronDirectoryName());
        System.out.flush();
        final ShardLayout layout = ShardLayout.even(length, worldSize);
        final float[] shard = new float[layout.length(rank)];
        for (int i = 0; i < shard.length; i++)
        {
            shard[i] = initial((int)layout.from(rank) + i);
        }
        final FloatBuffer params = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        final FloatBuffer gradient = ByteBuffer.allocateDirect(length * 4).order(ByteOrder.nativeOrder())
            .asFloatBuffer();
        try (ParameterServer ps = new ParameterServer(ctx, new FileRendezvous(rendezvousDir, rank, worldSize,
            TimeUnit.SECONDS.toNanos(30)), rank, worldSize, PsTestSupport.SECRET, PsTestSupport.LOOPBACK, layout,
            ParameterServer.Settings.synchronous(), r -> PsTestSupport.sgd(LR), shard))
        {
            System.out.println("MEDIA " + ps.linkMedia());
            for (int r = 0; r < worldSize; r++)
            {
                System.out.println("ENDPOINT " + r + " " + ps.links().peers[r].serverEndpoint());
            }
            System.out.flush();
            try
            {
                train(ps, rank, length, clocks, gradient, params);
            }
            catch (final CollectiveException ex)
            {
                System.out.println("ERROR " + ex.getClass().getName() + " " + ex.culpritRank() + " " + ex.getMessage());
                System.out.flush();
                // Stay on the links for a deadline: the other survivor must see the killed rank go, not this one leave.
                TimeUnit.MILLISECONDS.sleep(timeoutMs);
                System.exit(2);
            }
        }
        catch (final Throwable ex)
        {
            ex.printStackTrace(System.out);
            System.out.println("ERROR " + ex.getClass().getName() + " -1 " + ex.getMessage());
            System.out.flush();
            System.exit(3);
        }
        printResult(params, length, worldSize, clocks);
        System.out.println("CO_LOCATED_CLIENTS " + CoLocatedDrivers.openClients());
        System.out.flush();
        System.exit(0);
    }

    private static void train(final ParameterServer ps, final int rank, final int length, final int clocks,
        final FloatBuffer gradient, final FloatBuffer params)
    {
        final double[] stats = new double[2];
        for (int t = 0; t < clocks; t++)
        {
            for (int i = 0; i < length; i++)
            {
                gradient.put(i, gradient(rank, t, i));
            }
            ps.step(gradient, rows(rank), 1.0, 0, params, stats, t == clocks - 1);
            if (t < 10)
            {
                System.out.println("DONE " + (t + 1));
                System.out.flush();
            }
        }
    }

    private static void printResult(final FloatBuffer params, final int length, final int worldSize, final int clocks)
    {
        int rowsPerClock = 0;
        for (int r = 0; r < worldSize; r++)
        {
            rowsPerClock += rows(r);
        }
        int mismatches = 0;
        String first = "";
        for (int i = 0; i < length; i++)
        {
            float expected = initial(i);
            for (int t = 0; t < clocks; t++)
            {
                float sum = 0;
                for (int r = 0; r < worldSize; r++)
                {
                    sum += gradient(r, t, i);
                }
                expected -= LR * sum / rowsPerClock;
            }
            if (Float.floatToIntBits(expected) != Float.floatToIntBits(params.get(i)) && 0 == mismatches++)
            {
                first = " first element " + i + ": expected " + expected + ", got " + params.get(i);
            }
        }
        System.out.println("MISMATCHES " + mismatches + first);
        final CRC32C crc = new CRC32C();
        final ByteBuffer bytes = ByteBuffer.allocate(length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++)
        {
            bytes.putFloat(params.get(i));
        }
        crc.update(bytes.flip());
        System.out.println("RESULT " + Long.toHexString(crc.getValue()));
    }
}
