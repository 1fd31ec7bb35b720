package dev.sparkdl.spark;

import org.apache.spark.BarrierTaskContext;

import dev.sparkdl.train.AllreduceExchange;
import dev.sparkdl.train.GradientExchange;
import dev.sparkdl.train.LocalExchange;

/** Picks the {@link GradientExchange} for a task from the fit's training mode. */
final class Exchanges {
    static final String ALLREDUCE = "allreduce";
    static final String PARAMETER_SERVER = "parameter-server";

    private Exchanges() {
    }

    /** Called on the driver so an unsupported combination fails before any task starts. */
    static void checkSupported(String trainingMode, int workers) {
        if (PARAMETER_SERVER.equals(trainingMode) && workers > 1) {
            throw new UnsupportedOperationException("trainingMode 'parameter-server' with numWorkers = " + workers
                    + " is not available in this build yet; use trainingMode 'allreduce'");
        }
    }

    static GradientExchange open(TrainingJob job, BarrierTaskContext context, int rank, int workers) {
        checkSupported(job.trainingMode(), workers);
        if (workers == 1) {
            return new LocalExchange();
        }
        String bindHost = hostOf(context.getTaskInfos()[rank].address());
        return AllreduceExchange.join(context::allGather, rank, workers, job.secret(), bindHost,
                job.gradientBytes(), job.exchangeTimeoutMs());
    }

    /** The host part of Spark's "host:port" executor address. */
    static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : address;
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
