package dev.sparkdl.spark;

import java.io.Serializable;

import dev.sparkdl.train.Checkpoint;
import dev.sparkdl.train.TrainedNetwork;

/**
 * What every rank starts an attempt from, broadcast once: the network and, when resuming, the
 * encoded checkpoint (its own verified format).
 */
record StartState(TrainedNetwork network, byte[] checkpoint) implements Serializable {

    Checkpoint resume() {
        return checkpoint == null ? null : Checkpoint.decode(checkpoint, "broadcast");
    }
}
