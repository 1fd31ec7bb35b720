package dev.sparkdl.compress;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Residual accounting: what a codec sent plus what it kept is exactly what was pushed. */
class CodecResidualTest
{
    private static final int PAYLOAD_BYTES = 4096;
    private static final int LENGTH = 10_000;

    @ParameterizedTest
    @ValueSource(strings = {"none", "threshold", "int8", "topk", "fp16"})
    void shouldSendPlusKeepExactlyWhatWasPushedInOneStep(final String name)
    {
        final GradientCodec codec = Codecs.create(name, 1e-3, 500);
        final float[] pushed = gradient(new SplittableRandom(7), LENGTH, false);
        final float[] residual = pushed.clone();
        final float[] sent = encodeAll(codec, residual);
        for (int i = 0; i < LENGTH; i++)
        {
            assertEquals(pushed[i], sent[i] + residual[i], 0f, name + " element " + i);
            assertEquals(Float.floatToIntBits(pushed[i] - sent[i]), Float.floatToIntBits(residual[i]),
                name + " residual of element " + i + " is not exact");
        }
        if (!"none".equals(name))
        {
            assertTrue(Arrays.stream(toDouble(residual)).anyMatch(r -> r != 0), name + " kept nothing back");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "threshold", "int8", "topk", "fp16"})
    void shouldLoseNothingOverManySteps(final String name)
    {
        // Each step the codec's own ledger balances to the bit. With dyadic values (multiples of 2^-12, below
        // 2^3) every float sum is exact too, and the codecs that send dyadic values (all but int8, whose scale
        // is not) must balance over all steps: everything sent plus the final residual is everything pushed.
        final GradientCodec codec = Codecs.create(name, 1.0 / 64, 300);
        final SplittableRandom random = new SplittableRandom(11);
        final float[] residual = new float[LENGTH];
        final double[] pushedTotal = new double[LENGTH];
        final double[] sentTotal = new double[LENGTH];
        for (int step = 0; step < 20; step++)
        {
            final float[] g = gradient(random, LENGTH, true);
            for (int i = 0; i < LENGTH; i++)
            {
                residual[i] += g[i];
                pushedTotal[i] += g[i];
            }
            final float[] before = residual.clone();
            final float[] sent = encodeAll(codec, residual);
            for (int i = 0; i < LENGTH; i++)
            {
                sentTotal[i] += sent[i];
                assertEquals(Float.floatToIntBits(before[i] - sent[i]), Float.floatToIntBits(residual[i]),
                    name + " step " + step + " element " + i);
            }
        }
        for (int i = 0; i < LENGTH && !"int8".equals(name); i++)
        {
            assertEquals(pushedTotal[i], sentTotal[i] + residual[i], 0.0, name + " lost mass at element " + i);
        }
    }

    @Test
    void shouldCompressAndReportRatios()
    {
        final float[] pushed = gradient(new SplittableRandom(3), 100_000, false);
        for (final String name : Codecs.NAMES)
        {
            final GradientCodec codec = Codecs.create(name, 2e-3, 1000);
            final float[] residual = pushed.clone();
            final long bytes = encodedBytes(codec, residual);
            final double ratio = (double)pushed.length * Float.BYTES / bytes;
            System.out.printf("codec %-9s %8d payload bytes for %d floats: ratio %.1f%n", name, bytes, pushed.length,
                ratio);
            if ("fp16".equals(name))
            {
                assertEquals(2.0, ratio, 1e-9, "fp16 sends two bytes per float");
            }
            else if (!"none".equals(name))
            {
                assertTrue(ratio > 2, name + " ratio " + ratio);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "threshold", "int8", "topk", "fp16"})
    void shouldRejectMalformedPayloadsWithoutTouchingTheSum(final String name)
    {
        final GradientCodec codec = Codecs.create(name, 1e-3, 50);
        final float[] residual = gradient(new SplittableRandom(5), 200, false);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[PAYLOAD_BYTES]);
        codec.prepare(residual, 0, 200, 200);
        final int length = codec.encode(residual, 0, 200, buffer, 0);
        final float[] sum = new float[200];
        assertFalse(codec.decodeAdd(buffer, 0, length + 1, 200, sum, 0));
        assertFalse(codec.decodeAdd(buffer, 0, length, 200, sum, 1));
        assertFalse(codec.decodeAdd(buffer, 0, length, -1, sum, 0));
        final SplittableRandom random = new SplittableRandom(9);
        final byte[] junk = new byte[64];
        for (int i = 0; i < 2000; i++)
        {
            random.nextBytes(junk);
            final UnsafeBuffer junkBuffer = new UnsafeBuffer(junk);
            final float[] before = sum.clone();
            if (!codec.decodeAdd(junkBuffer, 0, random.nextInt(65), random.nextInt(-2, 210), sum, 0))
            {
                assertArrayEquals(before, sum, "a rejected payload changed the sum");
            }
            Arrays.fill(sum, 0f);
        }
        assertTrue(codec.decodeAdd(buffer, 0, length, 200, sum, 0));
    }

    static float[] encodeAll(final GradientCodec codec, final float[] residual)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[PAYLOAD_BYTES]);
        final float[] sent = new float[residual.length];
        final int perChunk = codec.elementsPerChunk(PAYLOAD_BYTES);
        codec.prepare(residual, 0, residual.length, residual.length);
        for (int first = 0; first < residual.length; first += perChunk)
        {
            final int count = Math.min(perChunk, residual.length - first);
            final int length = codec.encode(residual, first, count, buffer, 0);
            assertTrue(length <= PAYLOAD_BYTES);
            assertTrue(codec.decodeAdd(buffer, 0, length, count, sent, first), "own payload rejected");
        }
        return sent;
    }

    private static long encodedBytes(final GradientCodec codec, final float[] residual)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[PAYLOAD_BYTES]);
        final int perChunk = codec.elementsPerChunk(PAYLOAD_BYTES);
        long bytes = 0;
        codec.prepare(residual, 0, residual.length, residual.length);
        for (int first = 0; first < residual.length; first += perChunk)
        {
            bytes += codec.encode(residual, first, Math.min(perChunk, residual.length - first), buffer, 0);
        }
        return bytes;
    }

    /** Heavy-tailed values like a real gradient: mostly tiny, a few large; dyadic when asked. */
    static float[] gradient(final SplittableRandom random, final int length, final boolean dyadic)
    {
        final float[] g = new float[length];
        for (int i = 0; i < length; i++)
        {
            final double v = random.nextGaussian() * Math.pow(10, random.nextInt(-5, 0));
            g[i] = dyadic ? (float)(Math.rint(Math.max(-7, Math.min(7, v * 100)) * (1 << 12)) / (1 << 12)) : (float)v;
        }
        return g;
    }

    private static double[] toDouble(final float[] values)
    {
        final double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++)
        {
            out[i] = values[i];
        }
        return out;
    }
}
