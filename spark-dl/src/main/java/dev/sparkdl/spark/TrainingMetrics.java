package dev.sparkdl.spark;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;

/**
 * Training metrics in Spark's own metrics system, as a driver source named {@value #SOURCE_NAME},
 * so every sink Spark users configure (Prometheus servlet, JMX, Graphite, CSV) shows them. Gauges
 * hold the latest figures of the running (or last) fit; counters add up over all fits.
 */
public final class TrainingMetrics implements Source {
    public static final String SOURCE_NAME = "spark-dl";
    private static final Map<SparkContext, TrainingMetrics> BY_CONTEXT = new WeakHashMap<>();

    private final MetricRegistry registry = new MetricRegistry();
    private final AtomicLong epoch = new AtomicLong();
    private final AtomicLong step = new AtomicLong();
    private volatile double loss = Double.NaN;
    private volatile double samplesPerSecond;
    private volatile double stepSeconds;
    private volatile double exchangeSeconds;
    private volatile double validationMetric = Double.NaN;
    private volatile long bytesExchanged;
    private volatile double staleness = Double.NaN;
    private final Counter epochsTotal;
    private final Counter fitsTotal;

    private TrainingMetrics() {
        registry.register("epoch", (Gauge<Long>) epoch::get);
        registry.register("step", (Gauge<Long>) step::get);
        registry.register("loss", (Gauge<Double>) () -> loss);
        registry.register("samplesPerSecond", (Gauge<Double>) () -> samplesPerSecond);
        registry.register("stepSeconds", (Gauge<Double>) () -> stepSeconds);
        registry.register("exchangeSecondsPerEpoch", (Gauge<Double>) () -> exchangeSeconds);
        registry.register("bytesExchanged", (Gauge<Long>) () -> bytesExchanged);
        registry.register("validationMetric", (Gauge<Double>) () -> validationMetric);
        // Parameter-server mode: mean clocks a worker's pulled parameters lag behind its own (NaN otherwise).
        registry.register("staleness", (Gauge<Double>) () -> staleness);
        epochsTotal = registry.counter("epochsTotal");
        fitsTotal = registry.counter("fitsTotal");
    }

    /** The source of this SparkContext, registered with its metrics system on first use. */
    static synchronized TrainingMetrics forContext(SparkContext sc) {
        return BY_CONTEXT.computeIfAbsent(sc, context -> {
            TrainingMetrics metrics = new TrainingMetrics();
            SparkEnv env = SparkEnv.get();
            if (env != null) {
                env.metricsSystem().registerSource(metrics);
            }
            return metrics;
        });
    }

    void fitStarted() {
        fitsTotal.inc();
        epoch.set(0);
        step.set(0);
        staleness = Double.NaN;
    }

    void record(ProgressEvent event) {
        epoch.set(event.epoch() - (event.epochEnd() ? 0 : 1));
        loss = event.loss();
        samplesPerSecond = event.samplesPerSecond();
        if (event.epochEnd()) {
            step.set(event.step());
            epochsTotal.inc();
            int steps = event.stepsPerEpoch() > 0 ? event.stepsPerEpoch() : 1;
            stepSeconds = event.seconds() / steps;
            exchangeSeconds = event.exchangeSeconds();
            bytesExchanged = event.bytesExchanged();
            validationMetric = event.validationMetric();
            staleness = event.staleness();
        }
    }

    @Override
    public String sourceName() {
        return SOURCE_NAME;
    }

    @Override
    public MetricRegistry metricRegistry() {
        return registry;
    }
}
