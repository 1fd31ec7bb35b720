package dev.sparkdl.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import dev.sparkdl.collective.Allreduce;
import dev.sparkdl.collective.ElementType;
import dev.sparkdl.collective.ErrorFeedback;
import dev.sparkdl.collective.Rendezvous;
import dev.sparkdl.collective.RingAllreduce;
import dev.sparkdl.collective.SharedMemoryAllreduce;
import dev.sparkdl.collective.WireFormat;
import dev.sparkdl.transport.CollectiveContext;

/**
 * Synchronous data parallelism: the raw gradient (a SUM over each rank's rows) is summed over all
 * ranks with a ring allreduce, in place in ND4J's off-heap buffer, so every replica applies the
 * same update. With compression "fp16" or "int8" the gradient's chunks are quantized on the wire and
 * each rank keeps what quantization lost as a residual for its next step; the step statistics stay exact.
 * When every rank runs in one JVM (local mode, one executor's task slots) and nothing is quantized, the
 * ranks sum through shared memory instead ({@link SharedMemoryAllreduce}): no wire, no copy into Aeron.
 */
public final class AllreduceExchange implements GradientExchange {
    private final Allreduce allreduce;
    /** The ring, when the gradient travels quantized; null for an exact sum. */
    private final RingAllreduce quantizingRing;
    private final WireFormat wireFormat;
    private final ErrorFeedback feedback;
    private long bytesSent;
    private java.util.List<long[]> averaged;

    private AllreduceExchange(Allreduce allreduce, WireFormat wireFormat) {
        this.allreduce = allreduce;
        this.wireFormat = wireFormat;
        this.quantizingRing = wireFormat == WireFormat.EXACT ? null : (RingAllreduce) allreduce;
        this.feedback = wireFormat == WireFormat.EXACT ? null : new ErrorFeedback(wireFormat);
    }

    /**
     * Joins the ring; every rank calls this together.
     *
     * @param gradientBytes the size of the flattened gradient, to size Aeron's terms
     * @param bindHost      this executor's own address (never a wildcard)
     * @param compression   "none", "fp16" or "int8": how the gradient travels
     * @param sharedMemory  whether ranks that all run in this JVM sum through memory (exact sums only)
     */
    public static AllreduceExchange join(Rendezvous rendezvous, int rank, int workers, byte[] secret,
                                         String bindHost, long gradientBytes, long timeoutMs, String compression,
                                         boolean sharedMemory) {
        WireFormat wireFormat = WireFormat.forCompression(compression);
        if (sharedMemory && wireFormat == WireFormat.EXACT && workers > 1) {
            SharedMemoryAllreduce local = SharedMemoryAllreduce.joinIfColocated(rendezvous, rank, workers,
                    TimeUnit.MILLISECONDS.toNanos(timeoutMs));
            if (local != null) {
                return new AllreduceExchange(local, wireFormat);
            }
        }
        CollectiveContext context = new CollectiveContext()
                .maxBufferBytes(Math.max(gradientBytes, 1))
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        return AeronAccess.join(() ->
                new AllreduceExchange(new RingAllreduce(context, rendezvous, rank, workers, secret, bindHost),
                        wireFormat));
    }

    @Override
    public int rank() {
        return allreduce.rank();
    }

    @Override
    public int workers() {
        return allreduce.worldSize();
    }

    /** Sums rows, loss and the raw gradient over all ranks; every replica then applies the same update. */
    @Override
    public void step(NetworkAdapter network, double[] stepStats) {
        allreduce.sum(stepStats);
        INDArray flatGradient = network.flatGradient();
        ElementType type = switch (flatGradient.dataType()) {
            case FLOAT -> ElementType.FLOAT;
            case DOUBLE -> ElementType.DOUBLE;
            default -> throw new IllegalArgumentException("allreduce sums float or double gradients, not "
                    + flatGradient.dataType());
        };
        if (feedback == null) {
            allreduce.sum(nativeView(flatGradient), type, flatGradient.length());
        } else if (type == ElementType.FLOAT) {
            quantizingRing.sum(nativeView(flatGradient), flatGradient.length(), feedback);
        } else {
            throw new IllegalArgumentException("compression '" + wireFormat.compressionName() + "' quantizes float32 "
                    + "gradients; this network's are " + flatGradient.dataType() + " (use compression \"none\")");
        }
        if (averaged == null) {
            averaged = network.averagedRanges();
        }
        if (!averaged.isEmpty()) {
            INDArray flat = flatGradient.reshape(flatGradient.length());
            for (long[] range : averaged) {
                flat.get(NDArrayIndex.interval(range[0], range[1])).divi(workers());
            }
        }
        // A ring sends (N-1)/N of the buffer in reduce-scatter and again in all-gather; through shared memory a
        // rank reads as much from its peers.
        long bytes = flatGradient.length() * (feedback == null ? flatGradient.dataType().width()
                : wireFormat == WireFormat.FP16 ? Short.BYTES : Byte.BYTES);
        bytesSent += 2 * bytes * (workers() - 1) / workers();
        int globalRows = (int) stepStats[STAT_ROWS];
        if (globalRows > 0) {
            network.applyUpdate(globalRows);
        }
    }

    /** The gradient's own off-heap memory as a direct buffer starting at its first element. */
    static ByteBuffer nativeView(INDArray array) {
        ByteBuffer whole = array.data().asNio().order(ByteOrder.nativeOrder());
        if (array.offset() == 0) {
            return whole;
        }
        int elementBytes = array.dataType() == DataType.DOUBLE ? 8 : 4;
        whole.position(Math.toIntExact(array.offset() * elementBytes));
        return whole.slice().order(ByteOrder.nativeOrder());
    }

    @Override
    public void sumStats(double[] stats) {
        allreduce.sum(stats);
    }

    @Override
    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public void abort(String why) {
        allreduce.abort(why);
    }

    @Override
    public void close() {
        allreduce.close();
    }
}
