package dev.sparkdl.collective;

import dev.sparkdl.transport.CoLocatedDrivers;
import dev.sparkdl.transport.CollectiveContext;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * One rank as its own JVM, for the multi-process tests. Prints {@code AERON_DIR <dir>},
 * {@code MEDIA <how its links reach its neighbours>}, {@code DONE <n>} after each sum, then
 * {@code RESULT <crc32c of the final buffer>} and {@code CO_LOCATED_CLIENTS <clients left once closed>} and
 * exits 0, or {@code FAILED <culprit rank> <message>} and exits 2.
 *
 * <p>Arguments: rendezvousDir rank worldSize secretHex elementCount iterations timeoutMs ipcWithinHost.
 */
public final class RingProcessMain
{
    private RingProcessMain()
    {
    }

    public static void main(final String[] args)
    {
        final Path rendezvousDir = Path.of(args[0]);
        final int rank = Integer.parseInt(args[1]);
        final int worldSize = Integer.parseInt(args[2]);
        final byte[] secret = HexFormat.of().parseHex(args[3]);
        final int elementCount = Integer.parseInt(args[4]);
        final int iterations = Integer.parseInt(args[5]);
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[6]));
        final boolean ipcWithinHost = Boolean.parseBoolean(args[7]);
        final CollectiveContext ctx = new CollectiveContext()
            .maxBufferBytes(elementCount * 4L)
            .timeoutNs(timeoutNs)
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .publicationConnectionTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .ipcWithinHost(ipcWithinHost);
        System.out.println("AERON_DIR " + ctx.aeronDirectoryName());
        System.out.flush();
        final long seed = 7;
        try (RingAllreduce ring = new RingAllreduce(ctx, new FileRendezvous(rendezvousDir, rank, worldSize,
            TimeUnit.SECONDS.toNanos(30)), rank, worldSize, secret, "127.0.0.1"))
        {
            System.out.println("MEDIA " + ring.linkMedia());
            ByteBuffer buffer = null;
            for (int i = 0; i < iterations; i++)
            {
                buffer = RingAllreduceTest.input(rank, elementCount, ElementType.FLOAT, seed);
                ring.sum(buffer, ElementType.FLOAT, elementCount);
                System.out.println("DONE " + (i + 1));
                System.out.flush();
            }
            RingAllreduceTest.assertMatchesPlainSum(buffer, ElementType.FLOAT, elementCount, worldSize, seed);
            final CRC32C crc = new CRC32C();
            crc.update(buffer.clear());
            System.out.println("RESULT " + Long.toHexString(crc.getValue()));
        }
        catch (final CollectiveException ex)
        {
            System.out.println("FAILED " + ex.culpritRank() + " " + ex.getMessage());
            System.out.flush();
            System.exit(2);
        }
        catch (final Throwable ex)
        {
            ex.printStackTrace(System.out);
            System.out.println("FAILED -1 " + ex);
            System.out.flush();
            System.exit(3);
        }
        System.out.println("CO_LOCATED_CLIENTS " + CoLocatedDrivers.openClients());
        System.exit(0);
    }
}
