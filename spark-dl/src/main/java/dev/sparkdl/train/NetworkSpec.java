package dev.sparkdl.train;

import java.io.Serializable;
import java.util.List;
import java.util.OptionalLong;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;

/**
 * A network configuration as the JSON DL4J writes, with the facts the driver checks before
 * training: which family it is, and the input and output widths it expects.
 */
public final class NetworkSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    private final NetworkKind kind;
    private final String json;

    private NetworkSpec(NetworkKind kind, String json) {
        this.kind = kind;
        this.json = json;
    }

    public static NetworkSpec of(MultiLayerConfiguration conf) {
        return new NetworkSpec(NetworkKind.MULTI_LAYER, conf.toJson());
    }

    public static NetworkSpec of(ComputationGraphConfiguration conf) {
        return new NetworkSpec(NetworkKind.COMPUTATION_GRAPH, conf.toJson());
    }

    /** Parses DL4J JSON of either family; the family is told apart by its top-level fields. */
    public static NetworkSpec fromJson(String json) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("network: no network configuration was set (use setNetwork)");
        }
        try {
            if (json.contains("\"vertices\"")) {
                ComputationGraphConfiguration.fromJson(json);
                return new NetworkSpec(NetworkKind.COMPUTATION_GRAPH, json);
            }
            MultiLayerConfiguration.fromJson(json);
            return new NetworkSpec(NetworkKind.MULTI_LAYER, json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("network: not a valid DL4J MultiLayerConfiguration or "
                    + "ComputationGraphConfiguration JSON: " + e.getMessage(), e);
        }
    }

    public NetworkKind kind() {
        return kind;
    }

    public String json() {
        return json;
    }

    public MultiLayerConfiguration multiLayer() {
        return MultiLayerConfiguration.fromJson(json);
    }

    /**
     * The graph's configuration. An {@code RnnOutputLayer} whose data format was never set (a graph
     * built without {@code setInputTypes}) gets NCW, the {@code [rows, features, steps]} layout
     * spark-dl feeds: DL4J's backprop misreads a null format as NWC.
     */
    public ComputationGraphConfiguration graph() {
        ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(json);
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex layer && layer.getLayerConf().getLayer() instanceof RnnOutputLayer output
                    && output.getRnnDataFormat() == null) {
                output.setRnnDataFormat(RNNFormat.NCW);
            }
        }
        return conf;
    }

    /** The flat feature width the network reads, when the configuration states it. */
    public OptionalLong inputWidth() {
        if (kind == NetworkKind.MULTI_LAYER) {
            MultiLayerConfiguration conf = multiLayer();
            return widthOf(conf.getConf(0).getLayer(), conf.getInputPreProcess(0));
        }
        ComputationGraphConfiguration conf = graph();
        requireSingle("inputs", conf.getNetworkInputs());
        return graphInputWidth(conf, 0);
    }

    /**
     * The values per row each of a ComputationGraph's inputs reads, in input order, where the
     * configuration states it: the nIn (or the preprocessor's image size) of the layer reading the
     * input, which DL4J fills in from the graph's {@code setInputTypes}.
     */
    public List<OptionalLong> inputWidths() {
        if (kind == NetworkKind.MULTI_LAYER) {
            return List.of(inputWidth());
        }
        ComputationGraphConfiguration conf = graph();
        List<OptionalLong> widths = new java.util.ArrayList<>();
        for (int i = 0; i < conf.getNetworkInputs().size(); i++) {
            widths.add(graphInputWidth(conf, i));
        }
        return widths;
    }

    private static OptionalLong graphInputWidth(ComputationGraphConfiguration conf, int i) {
        String input = conf.getNetworkInputs().get(i);
        for (var entry : conf.getVertexInputs().entrySet()) {
            if (entry.getValue().contains(input)) {
                GraphVertex vertex = conf.getVertices().get(entry.getKey());
                if (vertex instanceof LayerVertex layerVertex) {
                    return widthOf(layerVertex.getLayerConf().getLayer(), layerVertex.getPreProcessor());
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The width of the network's single output. */
    public long outputWidth() {
        Layer last = outputLayer();
        if (!(last instanceof FeedForwardLayer feedForward)) {
            throw new IllegalArgumentException("network: the output layer " + last.getClass().getSimpleName()
                    + " has no nOut; spark-dl needs an output layer such as OutputLayer");
        }
        return feedForward.getNOut();
    }

    /**
     * Whether the network predicts at every time step (many-to-many: its output layer is an
     * {@code RnnOutputLayer}) rather than once per row (e.g. {@code LastTimeStep} + {@code OutputLayer}).
     */
    public boolean perStepOutput() {
        return outputLayer() instanceof RnnOutputLayer;
    }

    /** {@link #perStepOutput()} of a MultiLayerNetwork's configuration. */
    static boolean perStepOutput(MultiLayerConfiguration conf) {
        return outputLayer(conf) instanceof RnnOutputLayer;
    }

    /** {@link #perStepOutput()} of a ComputationGraph's configuration; false for several outputs. */
    static boolean perStepOutput(ComputationGraphConfiguration conf) {
        return conf.getNetworkOutputs().size() == 1 && outputLayer(conf) instanceof RnnOutputLayer;
    }

    private Layer outputLayer() {
        return kind == NetworkKind.MULTI_LAYER ? outputLayer(multiLayer()) : outputLayer(graph());
    }

    private static Layer outputLayer(MultiLayerConfiguration conf) {
        return conf.getConf(conf.getConfs().size() - 1).getLayer();
    }

    private static Layer outputLayer(ComputationGraphConfiguration conf) {
        requireSingle("outputs", conf.getNetworkOutputs());
        GraphVertex vertex = conf.getVertices().get(conf.getNetworkOutputs().get(0));
        if (!(vertex instanceof LayerVertex layerVertex)) {
            throw new IllegalArgumentException("network: the graph's output '"
                    + conf.getNetworkOutputs().get(0) + "' is not a layer");
        }
        return layerVertex.getLayerConf().getLayer();
    }

    private static OptionalLong widthOf(Layer first, InputPreProcessor preProcessor) {
        if (preProcessor instanceof FeedForwardToCnnPreProcessor cnn) {
            return OptionalLong.of(cnn.getInputHeight() * cnn.getInputWidth() * cnn.getNumChannels());
        }
        if (preProcessor == null && first instanceof FeedForwardLayer feedForward && feedForward.getNIn() > 0) {
            return OptionalLong.of(feedForward.getNIn());
        }
        return OptionalLong.empty();
    }

    private static void requireSingle(String what, List<String> names) {
        if (names.size() != 1) {
            throw new IllegalArgumentException("network: spark-dl trains graphs with one input and one output; "
                    + "this graph has " + what + " " + names);
        }
    }
}
