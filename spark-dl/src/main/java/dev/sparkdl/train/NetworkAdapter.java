package dev.sparkdl.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.ps.FusedAdam;

/**
 * One replica of a network, whichever DL4J family it is. The step is split so that gradients can
 * be summed across workers between backprop and the updater (DL4J's own {@code fit} fuses them).
 */
public abstract sealed class NetworkAdapter {
    /** How flat feature rows become this network's input; set by the data's owner. */
    protected InputLayout input = InputLayout.FLAT;
    private boolean fusedAdamAllowed = true;
    private FusedAdam fusedAdam;

    /** DL4J's own updater from now on, never {@link FusedAdam} (to compare the two). */
    NetworkAdapter withDl4jUpdater() {
        fusedAdamAllowed = false;
        fusedAdam = null;
        return this;
    }

    /**
     * Applies the summed gradient: {@link FusedAdam} where it does exactly what DL4J's updater does, else the
     * updater itself; then params -= update.
     */
    final void optimizerStep(org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?> updater, boolean miniBatch,
                             int iteration, int epoch, int batchSize, Runnable dl4jStep) {
        if (fusedAdamAllowed && (fusedAdam == null || !fusedAdam.serves(updater, params(), flatGradient()))) {
            fusedAdam = FusedAdam.of(updater, params(), flatGradient(), miniBatch);
            fusedAdamAllowed = fusedAdam != null;
        }
        if (fusedAdam != null) {
            fusedAdam.apply(iteration, epoch, batchSize);
        } else {
            dl4jStep.run();
        }
    }

    /** Reads features laid out as {@code layout} from now on (e.g. padded sequences with a mask). */
    public NetworkAdapter withInput(InputLayout layout) {
        this.input = java.util.Objects.requireNonNull(layout, "input layout");
        return this;
    }

    /** How this network reads flat feature rows. */
    public InputLayout input() {
        return input;
    }

    /**
     * Whether the network predicts at every time step (an {@code RnnOutputLayer}): labels are then
     * per step ({@link InputLayout#stepLabels}), masked by the features mask, and
     * {@link #output} is {@code [rows x k x steps]}.
     */
    public abstract boolean perStepOutput();

    /** The network's labels for flat label rows, and the labels mask (null: none). */
    final INDArray[] labelsAndMask(INDArray features, INDArray labels, INDArray[] featureMasks) {
        if (!perStepOutput()) {
            return new INDArray[] {labels, null};
        }
        return new INDArray[] {input.stepLabels(labels, features), featureMasks == null ? null : featureMasks[0]};
    }

    /** The one input (or mask) of a MultiLayerNetwork, or null. */
    private static INDArray single(INDArray[] arrays) {
        if (arrays != null && arrays.length != 1) {
            throw new IllegalArgumentException("a MultiLayerNetwork has one input, not " + arrays.length);
        }
        return arrays == null ? null : arrays[0];
    }

    /** A copy reads its features the same way as its original. */
    private NetworkAdapter sameInput(NetworkAdapter copy) {
        return copy.withInput(input);
    }

    /** A network with the given parameters (copied), or freshly initialised ones when null. */
    public static NetworkAdapter create(NetworkSpec spec, INDArray initialParams) {
        if (spec.kind() == NetworkKind.MULTI_LAYER) {
            MultiLayerNetwork net = new MultiLayerNetwork(spec.multiLayer());
            net.init(initialParams, initialParams != null);
            return new MultiLayer(net);
        }
        ComputationGraph graph = new ComputationGraph(spec.graph());
        graph.init(initialParams, initialParams != null);
        return new Graph(graph);
    }

    /** Wraps a network that is already initialised. */
    public static NetworkAdapter wrap(Object network) {
        if (network instanceof MultiLayerNetwork net) {
            return new MultiLayer(net);
        }
        if (network instanceof ComputationGraph graph) {
            return new Graph(graph);
        }
        throw new IllegalArgumentException("not a DL4J network: " + network);
    }

    /** Backprop on one minibatch; leaves the summed (not averaged) gradient in {@link #flatGradient()}. */
    public abstract double computeGradient(INDArray features, INDArray labels);

    /** The flattened gradient the updater reads; exchanges sum into it in place. */
    public abstract INDArray flatGradient();

    /** Applies the updater, which divides by {@code globalBatchSize}, then takes the step. */
    public abstract void applyUpdate(int globalBatchSize);

    public abstract void incrementEpoch();

    /** params -= update; DL4J may hold the flat params as [n] and the gradient as [1, n]. */
    static void step(INDArray params, INDArray update) {
        params.subi(update.reshape(params.shape()));
    }

    public abstract INDArray params();

    public abstract INDArray output(INDArray features);

    /** The DL4J object: a MultiLayerNetwork or a ComputationGraph. */
    public abstract Object network();

    /** An independent replica with the same parameters, for a second scoring thread. */
    public abstract NetworkAdapter copy();

    /** The updater's state (e.g. Adam's moments) as one flat array, or null if it has none. */
    public abstract INDArray updaterState();

    /** Restores the updater state and the iteration and epoch counts of a checkpoint. */
    public abstract void restoreTrainingState(INDArray updaterState, int iteration, int epoch);

    public abstract int iteration();

    /** The DL4J layers, in order. */
    abstract org.deeplearning4j.nn.api.Layer[] layers();

    /**
     * Ranges [from, to) of the flat gradient that must be AVERAGED over ranks, not summed: batch
     * normalization's running mean and variance, whose "gradient" is each rank's pull towards its
     * own batch statistics and which DL4J's updater does not divide by the batch size.
     */
    public final java.util.List<long[]> averagedRanges() {
        java.util.List<long[]> ranges = new java.util.ArrayList<>();
        long base = params().offset();
        for (org.deeplearning4j.nn.api.Layer layer : layers()) {
            if (!(layer.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization)) {
                continue;
            }
            for (String key : java.util.List.of(BatchNormalizationParamInitializer.GLOBAL_MEAN,
                    BatchNormalizationParamInitializer.GLOBAL_VAR, BatchNormalizationParamInitializer.GLOBAL_LOG_STD)) {
                INDArray view = layer.paramTable().get(key);
                if (view != null) {
                    long from = view.offset() - base;
                    ranges.add(new long[] {from, from + view.length()});
                }
            }
        }
        return ranges;
    }

    static final class MultiLayer extends NetworkAdapter {
        private final MultiLayerNetwork net;
        private final boolean perStep;

        MultiLayer(MultiLayerNetwork net) {
            this.net = net;
            this.perStep = NetworkSpec.perStepOutput(net.getLayerWiseConfigurations());
        }

        @Override
        public boolean perStepOutput() {
            return perStep;
        }

        @Override
        public double computeGradient(INDArray features, INDArray labels) {
            INDArray[] masks = input.masks(features);
            INDArray[] target = labelsAndMask(features, labels, masks);
            net.setInput(single(input.inputs(features)));
            net.setLabels(target[0]);
            net.setLayerMaskArrays(single(masks), target[1]);
            net.computeGradientAndScore();
            // The masks are this minibatch's: a later output() on other rows must not see them.
            net.clearLayerMaskArrays();
            return net.score();
        }

        @Override
        public INDArray flatGradient() {
            return net.getFlattenedGradients();
        }

        @Override
        public void applyUpdate(int globalBatchSize) {
            var conf = net.getLayerWiseConfigurations();
            int iteration = conf.getIterationCount();
            optimizerStep((org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?>) net.getUpdater(),
                    net.conf().isMiniBatch(), iteration, conf.getEpochCount(), globalBatchSize, () -> {
                        net.getUpdater().update(net, net.gradient(), iteration, conf.getEpochCount(),
                                globalBatchSize, LayerWorkspaceMgr.noWorkspaces());
                        step(net.params(), net.getFlattenedGradients());
                    });
            conf.setIterationCount(iteration + 1);
        }

        @Override
        public void incrementEpoch() {
            net.incrementEpochCount();
        }

        @Override
        public INDArray params() {
            return net.params();
        }

        @Override
        public INDArray output(INDArray features) {
            return net.output(single(input.inputs(features)), false, single(input.masks(features)), null);
        }

        @Override
        public Object network() {
            return net;
        }

        @Override
        public NetworkAdapter copy() {
            return super.sameInput(new MultiLayer(net.clone()));
        }

        @Override
        public INDArray updaterState() {
            return net.getUpdater(true).getStateViewArray();
        }

        @Override
        public void restoreTrainingState(INDArray updaterState, int iteration, int epoch) {
            if (updaterState != null) {
                net.getUpdater(true).getStateViewArray().assign(updaterState.reshape(updaterState().shape()));
            }
            net.getLayerWiseConfigurations().setIterationCount(iteration);
            net.getLayerWiseConfigurations().setEpochCount(epoch);
        }

        @Override
        public int iteration() {
            return net.getLayerWiseConfigurations().getIterationCount();
        }

        @Override
        org.deeplearning4j.nn.api.Layer[] layers() {
            return net.getLayers();
        }
    }

    static final class Graph extends NetworkAdapter {
        private final ComputationGraph graph;
        private final boolean perStep;

        Graph(ComputationGraph graph) {
            this.graph = graph;
            this.perStep = NetworkSpec.perStepOutput(graph.getConfiguration());
        }

        @Override
        public boolean perStepOutput() {
            return perStep;
        }

        @Override
        public double computeGradient(INDArray features, INDArray labels) {
            INDArray[] masks = input.masks(features);
            INDArray[] target = labelsAndMask(features, labels, masks);
            graph.setInputs(input.inputs(features));
            graph.setLabels(target[0]);
            graph.setLayerMaskArrays(masks, target[1] == null ? null : new INDArray[] {target[1]});
            graph.computeGradientAndScore();
            graph.clearLayerMaskArrays();
            return graph.score();
        }

        @Override
        public INDArray flatGradient() {
            return graph.getFlattenedGradients();
        }

        @Override
        public void applyUpdate(int globalBatchSize) {
            var conf = graph.getConfiguration();
            int iteration = conf.getIterationCount();
            optimizerStep(graph.getUpdater(), graph.conf().isMiniBatch(), iteration, conf.getEpochCount(),
                    globalBatchSize, () -> {
                        graph.getUpdater().update(graph.gradient(), iteration, conf.getEpochCount(),
                                globalBatchSize, LayerWorkspaceMgr.noWorkspaces());
                        step(graph.params(), graph.getFlattenedGradients());
                    });
            conf.setIterationCount(iteration + 1);
        }

        @Override
        public void incrementEpoch() {
            graph.incrementEpochCount();
        }

        @Override
        public INDArray params() {
            return graph.params();
        }

        @Override
        public INDArray output(INDArray features) {
            return graph.output(false, input.inputs(features), input.masks(features))[0];
        }

        @Override
        public Object network() {
            return graph;
        }

        @Override
        public NetworkAdapter copy() {
            return super.sameInput(new Graph(graph.clone()));
        }

        @Override
        public INDArray updaterState() {
            return graph.getUpdater(true).getStateViewArray();
        }

        @Override
        public void restoreTrainingState(INDArray updaterState, int iteration, int epoch) {
            if (updaterState != null) {
                graph.getUpdater(true).getStateViewArray().assign(updaterState.reshape(updaterState().shape()));
            }
            graph.getConfiguration().setIterationCount(iteration);
            graph.getConfiguration().setEpochCount(epoch);
        }

        @Override
        public int iteration() {
            return graph.getConfiguration().getIterationCount();
        }

        @Override
        org.deeplearning4j.nn.api.Layer[] layers() {
            return graph.getLayers();
        }
    }
}
