package dev.sparkdl.spark;

import java.io.Serializable;

/** How the ranks of a fit combine their gradients: the mode and its knobs. */
public record ExchangeSettings(String trainingMode, int staleness, String compression, double compressionThreshold,
                               int compressionTopK) implements Serializable {

    /** Values of the compression param the ring can apply: it quantizes dense chunks, it cannot sparsify. */
    public static final java.util.List<String> ALLREDUCE_COMPRESSIONS = java.util.List.of("none", "fp16", "int8");

    /** The cross-param rule: the sparse codecs need a parameter server. */
    public ExchangeSettings {
        if (Exchanges.ALLREDUCE.equals(trainingMode) && !ALLREDUCE_COMPRESSIONS.contains(compression)) {
            throw new IllegalArgumentException("compression '" + compression + "' needs trainingMode "
                    + "'parameter-server'; trainingMode 'allreduce' sums dense gradients and accepts compression "
                    + String.join(", ", ALLREDUCE_COMPRESSIONS));
        }
    }

    public static ExchangeSettings allreduce() {
        return new ExchangeSettings(Exchanges.ALLREDUCE, 0, "none", 1e-3, 1000);
    }

    public boolean parameterServer() {
        return Exchanges.PARAMETER_SERVER.equals(trainingMode);
    }
}
