package dev.sparkdl.spark;

import java.io.Serializable;

/** How the ranks of a fit combine their gradients: the mode and its knobs. */
public record ExchangeSettings(String trainingMode, int staleness, String compression, double compressionThreshold,
                               int compressionTopK) implements Serializable {

    /** The cross-param rule: the sparse codecs need a parameter server, and the ring has no codec yet. */
    public ExchangeSettings {
        if (Exchanges.ALLREDUCE.equals(trainingMode) && !"none".equals(compression)) {
            throw new IllegalArgumentException("compression '" + compression + "' needs trainingMode "
                    + "'parameter-server'; allreduce sums dense gradients (set compression to \"none\")");
        }
    }

    public static ExchangeSettings allreduce() {
        return new ExchangeSettings(Exchanges.ALLREDUCE, 0, "none", 1e-3, 1000);
    }

    public boolean parameterServer() {
        return Exchanges.PARAMETER_SERVER.equals(trainingMode);
    }
}
