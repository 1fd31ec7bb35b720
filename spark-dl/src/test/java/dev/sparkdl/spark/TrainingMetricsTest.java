package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestData;
import dev.sparkdl.TestSpark;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.ml.TrainingSummary;

/** Scrapes Spark's own Prometheus servlet during and after a fit. */
@Timeout(180)
class TrainingMetricsTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    /** spark-dl's values by metric name (loss, epoch, ...), parsed from the servlet's text format. */
    private Map<String, Double> scrape(String baseUrl) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/metrics/prometheus"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        Map<String, Double> values = new HashMap<>();
        for (String line : response.body().split("\n")) {
            int at = line.indexOf("_spark_dl_");
            if (line.startsWith("#") || at < 0) {
                continue;
            }
            String name = line.substring(at + "_spark_dl_".length()).replaceAll("_(Value|Count)\\{.*", "");
            values.put(name, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
        }
        return values;
    }

    /** The values scraped once the fit has finished its first epoch and is still running. */
    private Map<String, Double> scrapeWhileTraining(String ui, CompletableFuture<?> fit) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!fit.isDone() && System.nanoTime() < deadline) {
            Map<String, Double> now = scrape(ui);
            if (now.getOrDefault("epoch", 0.0) >= 1 && !fit.isDone()) {
                return now;
            }
            Thread.sleep(200);
        }
        return Map.of();
    }

    @Test
    void shouldPublishTrainingMetricsThroughSparksMetricsSystem() throws Exception {
        String ui = TestSpark.session().sparkContext().uiWebUrl().get();
        CompletableFuture<DL4JClassificationModel> fit = CompletableFuture.supplyAsync(() -> new DL4JClassifier()
                .setNetwork(TestData.mlp(8, 64, 3, 1)).setEpochs(8).setBatchSize(16).setNumWorkers(2)
                .setValidationFraction(0.1).fit(TestData.blobs(1500, 8, 3, 5)));

        Map<String, Double> during = scrapeWhileTraining(ui, fit);
        DL4JClassificationModel model = fit.get(120, TimeUnit.SECONDS);
        assertTrue(during.getOrDefault("epoch", 0.0) >= 1, "scraped while training: " + during);
        assertTrue(during.get("samplesPerSecond") > 0, "samples/s while training: " + during);

        Map<String, Double> after = scrape(ui);
        var last = model.trainingHistory().get(model.trainingHistory().size() - 1);
        assertEquals(8.0, after.get("epoch"));
        assertEquals(last.trainLoss(), after.get("loss"), 1e-9);
        assertEquals(last.validationMetric(), after.get("validationMetric"), 1e-9);
        assertEquals((double) last.bytesExchanged(), after.get("bytesExchanged"));
        assertTrue(after.get("epochsTotal") >= 8, "counter " + after.get("epochsTotal"));
        assertTrue(after.get("stepSeconds") > 0);
        assertTrue(after.get("staleness").isNaN(), "allreduce has no staleness: " + after.get("staleness"));
    }

    @Test
    void shouldPublishTheStalenessOfParameterServerMode() throws Exception {
        String ui = TestSpark.session().sparkContext().uiWebUrl().get();
        int staleness = 3;
        CompletableFuture<DL4JClassificationModel> fit = CompletableFuture.supplyAsync(() -> new DL4JClassifier()
                .setNetwork(TestData.mlp(8, 64, 3, 1)).setEpochs(6).setBatchSize(16).setNumWorkers(2)
                .setTrainingMode("parameter-server").setStaleness(staleness).fit(TestData.blobs(1500, 8, 3, 5)));

        Map<String, Double> during = scrapeWhileTraining(ui, fit);
        DL4JClassificationModel model = fit.get(120, TimeUnit.SECONDS);
        assertTrue(during.getOrDefault("epoch", 0.0) >= 1, "scraped while training: " + during);
        double duringStaleness = during.get("staleness");
        assertTrue(duringStaleness >= 0 && duringStaleness <= staleness, "staleness while training: " + during);

        Map<String, Double> after = scrape(ui);
        var last = model.trainingHistory().get(model.trainingHistory().size() - 1);
        assertEquals(6.0, after.get("epoch"));
        assertTrue(last.staleness() >= 0 && last.staleness() <= staleness, "history staleness " + last.staleness());
        assertEquals(last.staleness(), after.get("staleness"), 1e-9);
        assertEquals(last.staleness(), model.summary().history().orderBy("epoch").collectAsList().get(5)
                .getDouble(TrainingSummary.SCHEMA.fieldIndex("staleness")), 1e-12);
    }
}
