package dev.sparkdl.train;

import java.io.Serializable;
import java.util.UUID;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A network's configuration and parameters as plain bytes: what a fit returns, what is broadcast
 * to executors for scoring, and what a saved model holds. {@code id} names this exact set of
 * parameters so each executor JVM restores it once.
 */
public final class TrainedNetwork implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String id;
    private final NetworkSpec spec;
    private final byte[] params;

    public TrainedNetwork(NetworkSpec spec, byte[] params) {
        this.id = UUID.randomUUID().toString();
        this.spec = spec;
        this.params = params;
    }

    public static TrainedNetwork of(NetworkSpec spec, INDArray params) {
        return new TrainedNetwork(spec, toBytes(params));
    }

    public static byte[] toBytes(INDArray params) {
        try {
            return Nd4j.toByteArray(params);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot encode network parameters", e);
        }
    }

    public static INDArray fromBytes(byte[] bytes) {
        try {
            return Nd4j.fromByteArray(bytes);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("network parameters are corrupt: " + e.getMessage(), e);
        }
    }

    public String id() {
        return id;
    }

    public NetworkSpec spec() {
        return spec;
    }

    /** The encoded parameters (ND4J's binary array format, never Java serialization). */
    public byte[] paramBytes() {
        return params;
    }

    /** A fresh network with these parameters. */
    public NetworkAdapter restore() {
        return NetworkAdapter.create(spec, fromBytes(params));
    }
}
