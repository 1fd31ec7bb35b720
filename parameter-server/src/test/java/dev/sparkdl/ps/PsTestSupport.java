package dev.sparkdl.ps;

import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.codec.ShardChunkFlyweight;
import dev.sparkdl.compress.GradientCodec;
import dev.sparkdl.transport.CollectiveContext;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32C;

/** Contexts, thread ranks and hand-made frames for the parameter-server tests. */
final class PsTestSupport
{
    static final String LOOPBACK = "127.0.0.1";
    static final byte[] SECRET = "0123456789abcdef-ps-test-secret".getBytes();

    private PsTestSupport()
    {
    }

    static String freshAeronDir()
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        return new File(parent, "spark-dl-ps-test-" + UUID.randomUUID()).getPath();
    }

    static CollectiveContext context(final String dir, final long timeoutMs)
    {
        return new CollectiveContext()
            .aeronDirectoryName(dir)
            .maxBufferBytes(256 * 1024)
            .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs))
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .publicationConnectionTimeoutNs(TimeUnit.SECONDS.toNanos(2));
    }

    /** Plain SGD: params -= lr * sum / rows. */
    static ShardUpdater sgd(final float learningRate)
    {
        return (sum, rows, epoch, updates, params) ->
        {
            for (int i = 0; i < params.length; i++)
            {
                params[i] -= learningRate * sum[i] / rows;
            }
        };
    }

    @FunctionalInterface
    interface RankTask<T>
    {
        T run(int rank) throws Exception;
    }

    record Outcome<T>(T value, Throwable failure)
    {
        T orThrow()
        {
            if (null != failure)
            {
                throw new AssertionError("rank failed: " + failure, failure);
            }
            return value;
        }
    }

    static <T> List<Outcome<T>> runRanks(final int worldSize, final long timeoutMs, final RankTask<T> task)
        throws InterruptedException
    {
        final ExecutorService executor = Executors.newFixedThreadPool(worldSize);
        try
        {
            final List<Future<T>> futures = new ArrayList<>();
            for (int rank = 0; rank < worldSize; rank++)
            {
                final int r = rank;
                futures.add(executor.submit(() -> task.run(r)));
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            final List<Outcome<T>> outcomes = new ArrayList<>();
            for (final Future<T> future : futures)
            {
                try
                {
                    outcomes.add(new Outcome<>(future.get(Math.max(1, deadlineNs - System.nanoTime()),
                        TimeUnit.NANOSECONDS), null));
                }
                catch (final ExecutionException ex)
                {
                    outcomes.add(new Outcome<>(null, ex.getCause()));
                }
                catch (final TimeoutException ex)
                {
                    outcomes.add(new Outcome<>(null, ex));
                }
            }
            return outcomes;
        }
        finally
        {
            executor.shutdownNow();
            if (!executor.awaitTermination(30, TimeUnit.SECONDS))
            {
                throw new AssertionError("rank threads did not stop");
            }
        }
    }

    /** A PUSH frame for one chunk, encoded like a worker would (the codec updates {@code residual}). */
    static byte[] pushFrame(final int sender, final long clock, final int shard, final int shardLength,
        final int first, final int count, final int rows, final GradientCodec codec, final float[] residual)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ShardChunkFlyweight.HEADER_LENGTH + 70_000]);
        final ShardChunkFlyweight chunk = new ShardChunkFlyweight().wrapForEncode(buffer, 0, MessageHeader.TYPE_PUSH,
            sender).clock(clock).shard(shard).encoding(codec.id()).firstElement(first).elementCount(count)
            .shardLength(shardLength).rows(rows).lossSum(rows * 0.5).epoch(0);
        final int payload = codec.encode(residual, first, count, buffer, chunk.payloadOffset());
        chunk.seal(payload, new CRC32C());
        final byte[] frame = new byte[chunk.encodedLength()];
        buffer.getBytes(0, frame);
        return frame;
    }
}
