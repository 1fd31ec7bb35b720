package dev.sparkdl.ps;

import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The owner's optimizer step with DL4J's own updater: the owner keeps a private replica of the network
 * (its parameters for this shard are authoritative, its updater state is the shard's optimizer state),
 * writes the summed shard gradient into the replica's flattened gradient and runs DL4J's updater on it
 * exactly as {@code fit} would: division by the batch size, per-layer gradient normalization,
 * regularization, each block's own {@code GradientUpdater} (Adam, SGD, ...), iteration and epoch. Only the
 * shard's range is read back. Shards cut at variable boundaries ({@link #boundaries}) so every updater,
 * all elementwise, sees the same values it would see in a whole-network step; with gradient normalization
 * (per layer) the cuts fall on layer boundaries.
 *
 * <p>Not thread safe: one owner thread applies, in clock order.
 */
public final class Dl4jShardUpdater implements ShardUpdater
{
    private final Object replica;
    private final BaseMultiLayerUpdater<?> updater;
    private final INDArray flatGradient;
    private final INDArray flatParams;
    private final FloatBuffer gradientMemory;
    private final FloatBuffer paramsMemory;
    private final DefaultGradient gradient;
    private final int from;
    private final int length;
    private final int initialIteration;
    /** DL4J's Adam step fused over the shard's range where that is all DL4J's updater does; else null. */
    private final FusedAdam fusedAdam;

    /**
     * @param network the rank's network (a MultiLayerNetwork or ComputationGraph, initialised, float); copied.
     * @param from    first parameter of the shard.
     * @param to      end of the shard, exclusive.
     */
    public Dl4jShardUpdater(final Object network, final long from, final long to)
    {
        this.replica = copy(network);
        this.flatParams = paramsOf(replica);
        this.flatGradient = gradientOf(replica);
        this.updater = updaterOf(replica);
        if (updater.getFlattenedGradientsView() != flatGradient)
        {
            throw new IllegalStateException("DL4J's updater does not work on the replica's flattened gradient");
        }
        requireFloat(flatParams, "parameters");
        requireFloat(flatGradient, "gradient");
        if (to > flatParams.length() || from < 0 || from > to)
        {
            throw new IllegalArgumentException("shard [" + from + ", " + to + ") of " + flatParams.length() +
                " parameters");
        }
        this.from = Math.toIntExact(from);
        this.length = Math.toIntExact(to - from);
        this.gradientMemory = floats(flatGradient);
        this.paramsMemory = floats(flatParams);
        this.initialIteration = iterationOf(replica);
        this.fusedAdam = FusedAdam.of(updater, flatParams, flatGradient, isMiniBatch(replica));
        this.gradient = new DefaultGradient(flatGradient);
        // The updater finds each variable's layer by the name before the last '_' of its key.
        final Map<Trainable, String> names = new java.util.IdentityHashMap<>();
        updater.getLayersByName().forEach((name, layer) -> names.put(layer, name));
        for (final UpdaterBlock block : updater.getUpdaterBlocks())
        {
            for (final UpdaterBlock.ParamState state : block.getLayersAndVariablesInBlock())
            {
                if (state.getParamOffsetEnd() > from && state.getParamOffsetStart() < to)
                {
                    final String layerName = names.get(state.getLayer());
                    if (null == layerName)
                    {
                        throw new IllegalStateException("DL4J's updater has no name for the layer of " +
                            state.getParamName());
                    }
                    gradient.setGradientFor(layerName + "_" + state.getParamName(), state.getGradView());
                }
            }
        }
    }

    public void apply(final float[] gradientSum, final int rows, final int epoch, final long updates,
        final float[] params)
    {
        if (null != fusedAdam)
        {
            gradientMemory.put(from, gradientSum, 0, length);
            paramsMemory.put(from, params, 0, length);
            fusedAdam.apply(Math.toIntExact(initialIteration + updates), epoch, rows, from, from + length);
            gradientMemory.get(from, gradientSum, 0, length);
            paramsMemory.get(from, params, 0, length);
            return;
        }
        flatGradient.assign(0);
        gradientMemory.put(from, gradientSum, 0, length);
        updater.update(gradient, Math.toIntExact(initialIteration + updates), epoch, rows,
            LayerWorkspaceMgr.noWorkspaces());
        gradientMemory.get(from, gradientSum, 0, length);
        for (int i = 0; i < length; i++)
        {
            params[i] -= gradientSum[i];
        }
        paramsMemory.put(from, params, 0, length);
    }

    /**
     * @return the shard's part of DL4J's updater state (e.g. Adam's moments), in the order {@link #putState}
     *     reads it back.
     */
    @Override
    public float[] state()
    {
        final INDArray view = updater.getStateViewArray();
        final List<long[]> runs = stateRuns(updater, from, from + length);
        final float[] out = new float[runs.stream().mapToInt(r -> Math.toIntExact(r[1])).sum()];
        if (out.length > 0)
        {
            final FloatBuffer memory = floats(view);
            int at = 0;
            for (final long[] run : runs)
            {
                memory.get(Math.toIntExact(run[0]), out, at, Math.toIntExact(run[1]));
                at += Math.toIntExact(run[1]);
            }
        }
        return out;
    }

    /**
     * Writes one shard's {@link #state} into {@code target}, an updater state vector laid out as
     * {@code network}'s (its {@code getStateViewArray()}), so the owners' states make up the whole network's.
     */
    public static void putState(final Object network, final long from, final long to, final float[] state,
        final INDArray target)
    {
        final List<long[]> runs = stateRuns(updaterOf(network), from, to);
        final long expected = runs.stream().mapToLong(r -> r[1]).sum();
        if (expected != state.length)
        {
            throw new IllegalArgumentException("the updater state of shard [" + from + ", " + to + ") has " +
                expected + " values, got " + state.length);
        }
        final FloatBuffer memory = state.length == 0 ? null : floats(target);
        int at = 0;
        for (final long[] run : runs)
        {
            memory.put(Math.toIntExact(run[0]), state, at, Math.toIntExact(run[1]));
            at += Math.toIntExact(run[1]);
        }
    }

    /**
     * Where the updater state of parameters [from, to) lies in the state vector, as (offset, length) runs:
     * each updater block keeps its k state arrays (Adam: m, then v) one after the other, each as long as the
     * block's parameter range.
     */
    private static List<long[]> stateRuns(final BaseMultiLayerUpdater<?> updater, final long from, final long to)
    {
        final List<long[]> runs = new ArrayList<>();
        for (final UpdaterBlock block : updater.getUpdaterBlocks())
        {
            final long paramStart = block.getParamOffsetStart();
            final long paramLength = block.getParamOffsetEnd() - paramStart;
            final long stateLength = block.getUpdaterViewOffsetEnd() - block.getUpdaterViewOffsetStart();
            final long start = Math.max(from, paramStart);
            final long end = Math.min(to, block.getParamOffsetEnd());
            if (end <= start || stateLength == 0 || paramLength == 0)
            {
                continue;
            }
            for (long k = 0; k < stateLength / paramLength; k++)
            {
                runs.add(new long[] {block.getUpdaterViewOffsetStart() + k * paramLength + start - paramStart,
                    end - start});
            }
        }
        return runs;
    }

    /** @return the shard's current parameters from the replica (its initial values before any clock). */
    public float[] initialParams()
    {
        final float[] out = new float[length];
        paramsMemory.get(from, out, 0, length);
        return out;
    }

    /**
     * Where the parameter vector may be cut: every variable boundary (all of DL4J's updaters are
     * elementwise), or only layer boundaries when a layer normalizes its gradient as a whole.
     *
     * @param network a MultiLayerNetwork or ComputationGraph.
     * @return sorted cut positions.
     */
    public static long[] boundaries(final Object network)
    {
        final BaseMultiLayerUpdater<?> updater = updaterOf(network);
        boolean perLayer = false;
        final Map<Trainable, long[]> layers = new HashMap<>();
        final TreeSet<Long> variableCuts = new TreeSet<>();
        for (final UpdaterBlock block : updater.getUpdaterBlocks())
        {
            for (final UpdaterBlock.ParamState state : block.getLayersAndVariablesInBlock())
            {
                final GradientNormalization normalization = state.getLayer().getConfig().getGradientNormalization();
                perLayer |= null != normalization && normalization != GradientNormalization.None;
                variableCuts.add((long)state.getParamOffsetStart());
                variableCuts.add((long)state.getParamOffsetEnd());
                final long[] span = layers.computeIfAbsent(state.getLayer(),
                    l -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
                span[0] = Math.min(span[0], state.getParamOffsetStart());
                span[1] = Math.max(span[1], state.getParamOffsetEnd());
            }
        }
        if (!perLayer)
        {
            return variableCuts.stream().mapToLong(Long::longValue).toArray();
        }
        final List<Long> cuts = new ArrayList<>();
        for (final long[] span : layers.values())
        {
            cuts.add(span[0]);
            cuts.add(span[1]);
        }
        return cuts.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
    }

    /** @return a float view of the array's own off-heap memory, indexed from its first element. */
    public static FloatBuffer floats(final INDArray array)
    {
        requireFloat(array, "array");
        final boolean contiguous = array.length() <= 1 ||
            array.elementWiseStride() == 1 && (array.isVector() || array.ordering() == 'c');
        if (!contiguous)
        {
            throw new IllegalArgumentException("need a contiguous array, got " + array.shapeInfoToString());
        }
        final FloatBuffer all = array.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        return all.position(Math.toIntExact(array.offset())).slice();
    }

    private static void requireFloat(final INDArray array, final String what)
    {
        if (array.dataType() != DataType.FLOAT)
        {
            throw new IllegalArgumentException("the parameter server trains FLOAT networks; the " + what + " is " +
                array.dataType());
        }
    }

    private static Object copy(final Object network)
    {
        if (network instanceof MultiLayerNetwork net)
        {
            return net.clone();
        }
        if (network instanceof ComputationGraph graph)
        {
            return graph.clone();
        }
        throw new IllegalArgumentException("not a DL4J network: " + network);
    }

    private static boolean isMiniBatch(final Object network)
    {
        return network instanceof MultiLayerNetwork net ? net.conf().isMiniBatch() :
            ((ComputationGraph)network).conf().isMiniBatch();
    }

    static BaseMultiLayerUpdater<?> updaterOf(final Object network)
    {
        if (network instanceof MultiLayerNetwork net)
        {
            return (BaseMultiLayerUpdater<?>)net.getUpdater();
        }
        if (network instanceof ComputationGraph graph)
        {
            return graph.getUpdater();
        }
        throw new IllegalArgumentException("not a DL4J network: " + network);
    }

    private static INDArray paramsOf(final Object network)
    {
        return network instanceof MultiLayerNetwork net ? net.params() : ((ComputationGraph)network).params();
    }

    private static INDArray gradientOf(final Object network)
    {
        if (network instanceof MultiLayerNetwork net)
        {
            if (null == net.getFlattenedGradients())
            {
                net.initGradientsView();
            }
            return net.getFlattenedGradients();
        }
        final ComputationGraph graph = (ComputationGraph)network;
        if (null == graph.getFlattenedGradients())
        {
            graph.initGradientsView();
        }
        return graph.getFlattenedGradients();
    }

    private static int iterationOf(final Object network)
    {
        return network instanceof MultiLayerNetwork net ? net.getLayerWiseConfigurations().getIterationCount() :
            ((ComputationGraph)network).getConfiguration().getIterationCount();
    }
}
