package dev.sparkdl.spark;

import org.apache.spark.BarrierTaskContext;

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
        if (workers > 1) {
            throw new UnsupportedOperationException("trainingMode '" + trainingMode + "' with numWorkers = "
                    + workers + " needs the multi-worker exchange, which this build does not have yet; "
                    + "set numWorkers to 1");
        }
    }

    static GradientExchange open(TrainingJob job, BarrierTaskContext context, int rank, int workers) {
        checkSupported(job.trainingMode(), workers);
        return new LocalExchange();
    }
}
