package dev.sparkdl.ps;

import dev.sparkdl.codec.ClockFlyweight;
import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.compress.GradientCodec;
import dev.sparkdl.compress.NoneCodec;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random and mutated frames must neither crash a shard nor change what the valid frames compute. */
@Timeout(120)
class ShardServerFuzzTest
{
    private static final int LENGTH = 300;
    private static final int CHUNK = 128;

    /** Records the replies a shard sends. */
    static final class Recorder implements ShardResponder
    {
        final List<String> statuses = new ArrayList<>();
        final float[] lastParams = new float[LENGTH];
        long paramsChunks;

        public long offerParams(final int worker, final int shard, final long clock, final float[] params,
            final int first, final int count, final int rows, final double lossSum, final int epoch)
        {
            System.arraycopy(params, first, lastParams, first, count);
            paramsChunks++;
            return 1;
        }

        public long offerStatus(final int worker, final int shard, final long clock, final int laggard,
            final long laggardClock, final int rejected, final int rejectedFrom)
        {
            statuses.add(worker + ":" + clock + ":" + laggard + ":" + rejected);
            return 1;
        }
    }

    @Test
    void shouldSurviveRandomAndMutatedFramesAndStillComputeTheValidOnes()
    {
        final int workers = 2;
        final int clocks = 3;
        final Recorder recorder = new Recorder();
        final ShardServer server = new ShardServer(1, workers, 1, new float[LENGTH], new NoneCodec(),
            PsTestSupport.sgd(0.5f), 100, 0, recorder);
        final SplittableRandom random = new SplittableRandom(42);
        final double[] expected = new double[LENGTH];
        int fuzzed = 0;
        int valid = 0;
        for (int clock = 0; clock < clocks; clock++)
        {
            for (int w = 0; w < workers; w++)
            {
                final float[] gradient = new float[LENGTH];
                for (int i = 0; i < LENGTH; i++)
                {
                    gradient[i] = (float)random.nextGaussian();
                    expected[i] -= 0.5 * gradient[i] / 8;
                }
                for (int first = 0; first < LENGTH; first += CHUNK)
                {
                    final int count = Math.min(CHUNK, LENGTH - first);
                    final byte[] frame = PsTestSupport.pushFrame(w, clock, 1, LENGTH, first, count, 4,
                        new NoneCodec(), gradient.clone());
                    // Every single-byte change of the frame about to be valid is caught, wherever it falls.
                    for (int m = 0; m < 300; m++)
                    {
                        final byte[] mutated = frame.clone();
                        final int at = random.nextInt(mutated.length);
                        mutated[at] = (byte)(mutated[at] ^ (1 + random.nextInt(255)));
                        feed(server, w, mutated, mutated.length);
                        fuzzed++;
                    }
                    // Truncated and padded copies.
                    feed(server, w, frame, random.nextInt(frame.length));
                    fuzzed++;
                    final byte[] padded = java.util.Arrays.copyOf(frame, frame.length + 1 + random.nextInt(8));
                    feed(server, w, padded, padded.length);
                    fuzzed++;
                    // Random junk, some of it with a valid header.
                    for (int j = 0; j < 300; j++)
                    {
                        final byte[] junk = new byte[random.nextInt(0, 200)];
                        random.nextBytes(junk);
                        if (junk.length >= 8 && random.nextBoolean())
                        {
                            final UnsafeBuffer b = new UnsafeBuffer(junk);
                            b.putShort(0, (short)random.nextInt(15, 20), java.nio.ByteOrder.LITTLE_ENDIAN);
                            b.putShort(2, MessageHeader.CURRENT_VERSION, java.nio.ByteOrder.LITTLE_ENDIAN);
                            b.putInt(4, w, java.nio.ByteOrder.LITTLE_ENDIAN);
                        }
                        feed(server, w, junk, junk.length);
                        fuzzed++;
                    }
                    // The same valid frame from the wrong link.
                    feed(server, 1 - w, frame, frame.length);
                    fuzzed++;
                    feed(server, w, frame, frame.length);
                    valid++;
                    server.doWork(System.nanoTime());
                }
            }
        }
        assertEquals(fuzzed, server.rejected(), "every bad frame is rejected");
        assertEquals(valid, server.accepted(), "every valid frame is accepted");
        assertEquals(clocks, server.applied());
        final float[] actual = server.params();
        for (int i = 0; i < LENGTH; i++)
        {
            assertEquals(expected[i], actual[i], 1e-5, "element " + i);
        }

        // The fuzzed shard still answers a valid pull, and its goodbye protocol still works.
        final UnsafeBuffer pull = new UnsafeBuffer(new byte[ClockFlyweight.LENGTH]);
        new ClockFlyweight().wrapForEncode(pull, 0, MessageHeader.TYPE_PULL, 0).clock(clocks).shard(1);
        server.onMessage(0, pull, 0, ClockFlyweight.LENGTH);
        server.doWork(System.nanoTime());
        assertArrayEquals(actual, recorder.lastParams);
        assertTrue(recorder.paramsChunks >= 3);
    }

    @Test
    void shouldRefusePushesBeyondTheStalenessBound()
    {
        final ShardServer server = new ShardServer(0, 2, 0, new float[LENGTH], new NoneCodec(), PsTestSupport.sgd(1f),
            100, 0, new Recorder());
        final GradientCodec codec = new NoneCodec();
        for (int clock = 0; clock < 2; clock++)
        {
            final byte[] frame = PsTestSupport.pushFrame(0, clock, 0, LENGTH, 0, LENGTH, 1, codec, new float[LENGTH]);
            feed(server, 0, frame, frame.length);
        }
        assertEquals(1, server.accepted(), "clock 1 of rank 0 must wait for clock 0 of rank 1 when s = 0");
        assertEquals(1, server.rejected());
        assertEquals(0, server.rejectedFrom());
    }

    private static void feed(final ShardServer server, final int worker, final byte[] frame, final int length)
    {
        server.onMessage(worker, new UnsafeBuffer(frame), 0, length);
    }
}
