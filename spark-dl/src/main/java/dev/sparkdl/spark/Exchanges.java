package dev.sparkdl.spark;

import org.apache.spark.BarrierTaskContext;

import dev.sparkdl.train.AllreduceExchange;
import dev.sparkdl.train.GradientExchange;
import dev.sparkdl.train.LocalExchange;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.ParameterServerExchange;

/** Picks the {@link GradientExchange} for a task from the fit's training mode. */
final class Exchanges {
    static final String ALLREDUCE = "allreduce";
    static final String PARAMETER_SERVER = "parameter-server";

    private Exchanges() {
    }

    /** Joins the fit's exchange; every rank calls this together, with its replica already built. */
    static GradientExchange open(TrainingJob job, BarrierTaskContext context, int rank, int workers,
                                 NetworkAdapter network) {
        if (workers == 1) {
            return new LocalExchange();
        }
        String bindHost = hostOf(context.getTaskInfos()[rank].address());
        ExchangeSettings settings = job.exchange();
        if (settings.parameterServer()) {
            long totalSteps = (long) job.plan().epochs() * job.plan().stepsPerEpoch();
            return ParameterServerExchange.join(context::allGather, rank, workers, job.secret(), bindHost, network,
                    totalSteps, settings.staleness(), settings.compression(), settings.compressionThreshold(),
                    settings.compressionTopK(), job.exchangeTimeoutMs());
        }
        return AllreduceExchange.join(context::allGather, rank, workers, job.secret(), bindHost,
                job.gradientBytes(), job.exchangeTimeoutMs(), settings.compression(), job.sharedMemory());
    }

    /** The host part of Spark's "host:port" executor address. */
    static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : address;
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
