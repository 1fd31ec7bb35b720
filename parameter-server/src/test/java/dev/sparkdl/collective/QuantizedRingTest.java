package dev.sparkdl.collective;

import dev.sparkdl.compress.Fp16;
import dev.sparkdl.transport.MediaDriverHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizedRingTest
{
    private static final int STEPS = 30;
    private String aeronDir;

    @BeforeEach
    void setUp()
    {
        aeronDir = TestContexts.freshAeronDir();
    }

    @AfterEach
    void driverIsGoneAndItsDirectoryRemoved()
    {
        assertEquals(0, MediaDriverHandle.referenceCount(aeronDir), "driver still referenced");
        assertFalse(new File(aeronDir).exists(), "Aeron directory left behind: " + aeronDir);
    }

    /** What one rank saw over {@link #STEPS} sums: the results, its final residual and the bytes it sent. */
    record RankRun(List<float[]> results, float[] residual, long wireBytes)
    {
    }

    @ParameterizedTest(name = "{0} x {1} ranks")
    @CsvSource({"FP16, 2", "FP16, 3", "INT8, 2", "INT8, 4"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldEndBitIdenticalWithinTheBoundAndLoseNothingOverSteps(final WireFormat format, final int worldSize)
        throws Exception
    {
        final int length = 40_003;
        final List<ThreadRanks.Outcome<RankRun>> outcomes = run(format, worldSize, length);

        final RankRun rank0 = outcomes.get(0).orThrow();
        for (int rank = 1; rank < worldSize; rank++)
        {
            final RankRun other = outcomes.get(rank).orThrow();
            for (int step = 0; step < STEPS; step++)
            {
                assertArrayEquals(rank0.results.get(step), other.results.get(step),
                    "rank " + rank + " differs from rank 0 at step " + step);
            }
        }

        final double[] exactRunning = new double[length];
        final double[] sentRunning = new double[length];
        for (int step = 0; step < STEPS; step++)
        {
            final float[] result = rank0.results.get(step);
            double maxError = 0;
            double maxMagnitude = 0;
            for (int i = 0; i < length; i++)
            {
                double exact = 0;
                for (int rank = 0; rank < worldSize; rank++)
                {
                    exact += gradient(rank, step, i);
                }
                exactRunning[i] += exact;
                sentRunning[i] += result[i];
                maxError = Math.max(maxError, Math.abs(result[i] - exact));
                maxMagnitude = Math.max(maxMagnitude, Math.abs(exact));
            }
            // Each of up to 2(N-1) encodings of a chunk loses at most half a step of its scale (plus the
            // residual carried in): a few steps of the coarsest grid over the whole vector.
            final double bound = boundFor(format, worldSize, maxMagnitude);
            assertTrue(maxError <= bound, format + " step " + step + ": error " + maxError + " > bound " + bound);
        }

        // Error feedback: what was delivered plus what every rank still holds is the exact running sum.
        double worstGap = 0;
        double worstWithoutFeedback = 0;
        for (int i = 0; i < length; i++)
        {
            double residuals = 0;
            for (int rank = 0; rank < worldSize; rank++)
            {
                residuals += outcomes.get(rank).orThrow().residual[i];
            }
            worstGap = Math.max(worstGap, Math.abs(sentRunning[i] + residuals - exactRunning[i]));
            worstWithoutFeedback = Math.max(worstWithoutFeedback, Math.abs(sentRunning[i] - exactRunning[i]));
        }
        assertTrue(worstGap < 1e-3, "delivered + residuals drifts from the exact running sum by " + worstGap);
        // And the delivered running sum stays within one step's bound, not STEPS of them.
        assertTrue(worstWithoutFeedback <= boundFor(format, worldSize, 4.0 * worldSize),
            "running sum drifted by " + worstWithoutFeedback);

        // Bytes on the wire against the same sums sent exactly.
        final long exactBytes = runExactWireBytes(worldSize, length);
        final double ratio = (double)exactBytes / rank0.wireBytes;
        final double expected = format == WireFormat.FP16 ? 2.0 : 4.0;
        assertTrue(ratio > expected * 0.9 && ratio <= expected + 0.01,
            format + " sent " + rank0.wireBytes + " bytes against " + exactBytes + " exact: ratio " + ratio);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldTakeBackTheResidualWhenAloneAndRefuseAnotherLength()
    {
        try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir), info -> new String[]{info}, 0, 1,
            TestContexts.SECRET, TestContexts.LOOPBACK))
        {
            final ErrorFeedback feedback = new ErrorFeedback(WireFormat.INT8);
            final float[] values = {1f, -2f, 0.25f};
            ring.sum(values, feedback);
            assertArrayEquals(new float[]{1f, -2f, 0.25f}, values);
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> ring.sum(new float[4], feedback));
            assertTrue(ex.getMessage().contains("3 elements"), ex.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new ErrorFeedback(WireFormat.EXACT));
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> WireFormat.forCompression("topk"));
        assertTrue(ex.getMessage().contains("topk"), ex.getMessage());
        assertEquals(WireFormat.FP16, WireFormat.forCompression("FP16"));
    }

    @Test
    void fp16ShouldRoundTripEveryHalfAndRoundToTheNearest()
    {
        for (int bits = 0; bits < 0x10000; bits++)
        {
            final float value = Fp16.toFloat((short)bits);
            if (!Float.isNaN(value))
            {
                assertEquals((short)bits, Fp16.fromFloat(value), "half 0x" + Integer.toHexString(bits));
            }
        }
        final Random random = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            final float value = (float)(random.nextGaussian() * Math.pow(2, random.nextInt(40) - 26));
            final short half = Fp16.fromFloat(value);
            final float rounded = Fp16.toFloat(half);
            final float up = Fp16.toFloat((short)(half + 1));
            final float down = Fp16.toFloat((short)(half - 1));
            final float error = Math.abs(value - rounded);
            // No neighbouring half is closer (a neighbour past the ends is NaN, and never closer).
            assertTrue(!(Math.abs(value - up) < error) && !(Math.abs(value - down) < error) ||
                Math.abs(value) > Fp16.MAX,
                value + " rounded to " + rounded + " between " + down + " and " + up);
        }
        assertTrue(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(Float.NaN))));
        assertEquals(Float.NEGATIVE_INFINITY, Fp16.toFloat(Fp16.fromFloat(-1e6f)));
    }

    private List<ThreadRanks.Outcome<RankRun>> run(final WireFormat format, final int worldSize, final int length)
        throws InterruptedException
    {
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
        return ThreadRanks.run(worldSize, 80_000, rank ->
        {
            final AtomicLong wireBytes = new AtomicLong();
            final ChunkTap count = (buffer, offset, messageLength) -> wireBytes.addAndGet(messageLength);
            final ErrorFeedback feedback = new ErrorFeedback(format);
            final List<float[]> results = new ArrayList<>();
            try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir), rendezvous.forRank(rank),
                rank, worldSize, TestContexts.SECRET, TestContexts.LOOPBACK, count))
            {
                for (int step = 0; step < STEPS; step++)
                {
                    final float[] values = new float[length];
                    for (int i = 0; i < length; i++)
                    {
                        values[i] = gradient(rank, step, i);
                    }
                    ring.sum(values, feedback);
                    results.add(values);
                }
            }
            final float[] residual = new float[length];
            for (int i = 0; i < length; i++)
            {
                residual[i] = feedback.residual(i);
            }
            return new RankRun(results, residual, wireBytes.get());
        });
    }

    private long runExactWireBytes(final int worldSize, final int length) throws InterruptedException
    {
        final InMemoryRendezvous rendezvous = new InMemoryRendezvous(worldSize, TimeUnit.SECONDS.toNanos(20));
        return ThreadRanks.run(worldSize, 60_000, rank ->
        {
            final AtomicLong wireBytes = new AtomicLong();
            try (RingAllreduce ring = new RingAllreduce(TestContexts.context(aeronDir), rendezvous.forRank(rank),
                rank, worldSize, TestContexts.SECRET, TestContexts.LOOPBACK,
                (buffer, offset, messageLength) -> wireBytes.addAndGet(messageLength)))
            {
                for (int step = 0; step < STEPS; step++)
                {
                    ring.sum(new float[length]);
                }
            }
            return wireBytes.get();
        }).get(0).orThrow();
    }

    /** A gradient-like value: mostly small, a few large, different per rank, step and element. */
    private static float gradient(final int rank, final int step, final int index)
    {
        final long h = (index * 0x9E3779B97F4A7C15L) ^ (step * 0xC2B2AE3D27D4EB4FL) ^ (rank * 0x165667B19E3779F9L);
        final double unit = ((h >>> 11) & ((1L << 40) - 1)) / (double)(1L << 40) * 2 - 1;
        return (float)(index % 97 == 0 ? 4 * unit : 0.01 * unit);
    }

    private static double boundFor(final WireFormat format, final int worldSize, final double maxMagnitude)
    {
        // int8: one step of a chunk's grid is at most max|partial sum| / 127; fp16: relative 2^-11 per encoding.
        final double perEncoding = format == WireFormat.INT8 ? maxMagnitude * worldSize / 127.0 :
            maxMagnitude * worldSize * Math.pow(2, -11);
        return 2.0 * (2 * worldSize - 1) * perEncoding;
    }
}
