package dev.sparkdl.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.TrainedNetwork;

/**
 * Executor-side networks for scoring: each model is restored from its bytes once per JVM; tasks
 * scoring it at the same time borrow separate replicas (DL4J networks are not thread-safe) and
 * hand them back when the task ends.
 */
final class ScoringCache {
    /** Enough for a CrossValidator's models in flight without holding every model ever scored. */
    private static final int MAX_MODELS = 8;

    private static final Map<String, Pool> POOLS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pool> eldest) {
            return size() > MAX_MODELS;
        }
    };

    private ScoringCache() {
    }

    static Pool poolFor(TrainedNetwork network) {
        synchronized (POOLS) {
            return POOLS.computeIfAbsent(network.id(), id -> new Pool(network.restore()));
        }
    }

    /** How many distinct models this JVM has restored and still holds; for tests. */
    static int cachedModels() {
        synchronized (POOLS) {
            return POOLS.size();
        }
    }

    static final class Pool {
        private final NetworkAdapter template;
        private final ConcurrentLinkedDeque<NetworkAdapter> idle = new ConcurrentLinkedDeque<>();

        Pool(NetworkAdapter template) {
            this.template = template;
            idle.push(template);
        }

        NetworkAdapter borrow() {
            NetworkAdapter network = idle.poll();
            if (network != null) {
                return network;
            }
            synchronized (template) {
                return template.copy();
            }
        }

        void release(NetworkAdapter network) {
            idle.push(network);
        }
    }
}
