package dev.sparkdl.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.collective.Rendezvous;
import dev.sparkdl.ps.Dl4jShardUpdater;
import dev.sparkdl.ps.ParameterServer;
import dev.sparkdl.ps.ShardLayout;
import dev.sparkdl.transport.CollectiveContext;

/**
 * Asynchronous data parallelism with bounded staleness: the parameters are sharded by range over the
 * ranks, each rank's shard applies DL4J's updater for its range, and each step a worker pushes its raw
 * gradient (a SUM over its rows, optionally compressed with residual feedback) and pulls the parameters
 * as soon as every shard has applied at least {@code step + 1 - staleness} clocks. Staleness 0 is
 * synchronous and reproduces {@link AllreduceExchange}; the last step always waits for every clock, so
 * all replicas end with the same parameters. A gradient computed on parameters that lag this worker's own
 * clock by {@code k} clocks is pushed scaled by {@code 1 / (1 + k)}: in a delayed-gradient simulation of the
 * accuracy test's setup this recovered about half of what staleness costs. {@code stepStats} returns the
 * rows and loss sum, over all ranks, of the newest clock applied (this step's when staleness is 0).
 */
public final class ParameterServerExchange implements GradientExchange {
    private final ParameterServer server;
    private final Rendezvous rendezvous;
    private final long totalSteps;
    private final ShardLayout layout;
    private final double[] stats = new double[2];
    private long steps;

    private ParameterServerExchange(ParameterServer server, Rendezvous rendezvous, long totalSteps,
                                    ShardLayout layout) {
        this.server = server;
        this.rendezvous = rendezvous;
        this.totalSteps = totalSteps;
        this.layout = layout;
    }

    /**
     * Joins the parameter server; every rank calls this together, before its first step.
     *
     * @param network              this rank's replica (float; initialised with the fit's initial parameters)
     * @param totalSteps           steps this fit runs (epochs x steps per epoch), the same on every rank
     * @param staleness            s >= 0: how many clocks a worker may run ahead of the slowest
     * @param compression          "none", "threshold", "int8" or "topk"
     * @param compressionThreshold threshold of "threshold" (> 0)
     * @param compressionTopK      k of "topk": values sent per step over the whole gradient (>= 1)
     * @param bindHost             this executor's own address (never a wildcard)
     */
    public static ParameterServerExchange join(Rendezvous rendezvous, int rank, int workers, byte[] secret,
                                               String bindHost, NetworkAdapter network, long totalSteps,
                                               int staleness, String compression, double compressionThreshold,
                                               int compressionTopK, long timeoutMs) {
        long shardBytes = network.params().length() * 4 / Math.max(1, workers);
        CollectiveContext context = new CollectiveContext()
                .maxBufferBytes(Math.max(shardBytes, 1))
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        return join(context, rendezvous, rank, workers, secret, bindHost, network, totalSteps,
                new ParameterServer.Settings(staleness, compression, compressionThreshold, compressionTopK));
    }

    /** As above, with the transport settings given (tests, benchmarks). */
    public static ParameterServerExchange join(CollectiveContext context, Rendezvous rendezvous, int rank, int workers,
                                               byte[] secret, String bindHost, NetworkAdapter network,
                                               long totalSteps, ParameterServer.Settings settings) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps must be >= 1, got " + totalSteps);
        }
        Object net = network.network();
        INDArray params = network.params();
        ShardLayout layout = ShardLayout.balanced(params.length(), Dl4jShardUpdater.boundaries(net), workers);
        float[] shard = new float[layout.length(rank)];
        Dl4jShardUpdater.floats(params).get(Math.toIntExact(layout.from(rank)), shard, 0, shard.length);
        return AeronAccess.join(() -> new ParameterServerExchange(new ParameterServer(context, rendezvous, rank,
                workers, secret, bindHost, layout, settings,
                r -> new Dl4jShardUpdater(net, layout.from(r), layout.to(r)), shard), rendezvous, totalSteps, layout));
    }

    @Override
    public int rank() {
        return server.rank();
    }

    @Override
    public int workers() {
        return server.worldSize();
    }

    /** The parameter server behind this exchange (residuals, byte counts, shard counters). */
    public ParameterServer server() {
        return server;
    }

    @Override
    public void step(NetworkAdapter network, double[] stepStats) {
        long lag = server.staleness();
        if (lag > 0) {
            // Staleness-aware damping (Zhang et al., IJCAI 2016): a gradient taken on parameters that miss
            // this worker's last `lag` clocks counts 1/(1 + lag); a fresh one (always, at staleness 0) in full.
            network.flatGradient().muli(1.0 / (1 + lag));
        }
        FloatBuffer gradient = Dl4jShardUpdater.floats(network.flatGradient());
        FloatBuffer params = Dl4jShardUpdater.floats(network.params());
        steps++;
        server.step(gradient, (int) stepStats[STAT_ROWS], stepStats[STAT_LOSS_SUM], epochOf(network.network()),
                params, stats, steps >= totalSteps);
        stepStats[STAT_ROWS] = stats[0];
        stepStats[STAT_LOSS_SUM] = stats[1];
        if (stats[0] > 0) {
            advanceIteration(network.network());
        }
    }

    private static int epochOf(Object net) {
        return net instanceof MultiLayerNetwork mln ? mln.getLayerWiseConfigurations().getEpochCount()
                : ((ComputationGraph) net).getConfiguration().getEpochCount();
    }

    /** Keeps the replica's iteration count where a locally updated network would have it (checkpoints). */
    private static void advanceIteration(Object net) {
        if (net instanceof MultiLayerNetwork mln) {
            var conf = mln.getLayerWiseConfigurations();
            conf.setIterationCount(conf.getIterationCount() + 1);
        } else {
            var conf = ((ComputationGraph) net).getConfiguration();
            conf.setIterationCount(conf.getIterationCount() + 1);
        }
    }

    /**
     * Sums statistics through the rendezvous (once per epoch, so its cost does not matter); every
     * rank adds the same values in rank order and gets bit-identical sums.
     */
    @Override
    public void sumStats(double[] values) {
        StringBuilder mine = new StringBuilder();
        for (double v : values) {
            mine.append(Long.toHexString(Double.doubleToRawLongBits(v))).append(',');
        }
        String[] all = rendezvous.allGather(mine.toString());
        java.util.Arrays.fill(values, 0);
        for (String rank : all) {
            String[] parts = rank.split(",");
            if (parts.length != values.length) {
                throw new IllegalStateException("a rank sent " + parts.length + " statistics, expected " + values.length);
            }
            for (int i = 0; i < values.length; i++) {
                values[i] += Double.longBitsToDouble(Long.parseUnsignedLong(parts[i], 16));
            }
        }
    }

    /**
     * Gathers the shard owners' parameters and updater states after this rank's last step, through the
     * rendezvous (a checkpoint's cost; the strings are a few bytes per value, fine for networks of millions
     * of parameters, not billions). Every rank has pushed exactly this many clocks when it calls this, and
     * none pushes another before every rank has its owner's state, so all shards stand at the same clock.
     */
    @Override
    public TrainingState checkpointState(NetworkAdapter network) {
        ParameterServer.ShardState mine = server.shardState(steps);
        Base64.Encoder base64 = Base64.getEncoder();
        String[] all = rendezvous.allGather(base64.encodeToString(bytes(mine.params())) + ","
                + base64.encodeToString(bytes(mine.updaterState())));
        INDArray params = network.params().dup();
        INDArray updaterState = network.updaterState() == null ? null : network.updaterState().dup();
        FloatBuffer paramMemory = Dl4jShardUpdater.floats(params);
        for (int r = 0; r < all.length; r++) {
            String[] parts = all[r].split(",", -1);
            float[] shardParams = floats(Base64.getDecoder().decode(parts[0]));
            if (parts.length != 2 || shardParams.length != layout.length(r)) {
                throw new IllegalStateException("rank " + r + " sent a malformed shard state for a checkpoint");
            }
            paramMemory.put(Math.toIntExact(layout.from(r)), shardParams);
            Dl4jShardUpdater.putState(network.network(), layout.from(r), layout.to(r),
                    floats(Base64.getDecoder().decode(parts[1])), updaterState);
        }
        return new TrainingState(params, updaterState);
    }

    private static byte[] bytes(float[] values) {
        ByteBuffer out = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(values);
        return out.array();
    }

    private static float[] floats(byte[] bytes) {
        float[] values = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    @Override
    public double staleness() {
        return server.staleness();
    }

    @Override
    public long bytesSent() {
        return server.bytesPushed() + server.bytesPulled();
    }

    @Override
    public void close() {
        server.close();
    }
}
