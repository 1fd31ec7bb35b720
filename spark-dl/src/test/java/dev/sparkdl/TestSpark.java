package dev.sparkdl;

import org.apache.spark.sql.SparkSession;

/** One local Spark for every test class in the JVM; starting Spark costs seconds. */
public final class TestSpark {
    private static SparkSession session;

    private TestSpark() {
    }

    public static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("spark-dl-tests")
                    // The UI serves Spark's Prometheus servlet, which the metrics test scrapes.
                    .config("spark.ui.enabled", "true")
                    .config("spark.ui.port", "0")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.metrics.conf.*.sink.prometheusServlet.class",
                            "org.apache.spark.metrics.sink.PrometheusServlet")
                    .config("spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> session.stop()));
        }
        return session;
    }
}
