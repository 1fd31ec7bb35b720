package dev.sparkdl.ml;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.TrainedNetwork;

/**
 * ML persistence of the models, laid out as MLlib does: {@code metadata/} (class, uid, Spark
 * version, params, via DefaultParamsWriter) and {@code data/}: {@code model.json} (format version,
 * widths, history, checksum), {@code network.json} (DL4J's config JSON) and {@code params.bin}
 * (ND4J's binary array format). Nothing in a model directory is read as a Java-serialized object.
 */
final class ModelIO {
    static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelIO() {
    }

    /** The facts about a saved model that its reader needs to rebuild it. */
    record ModelInfo(int numFeatures, int outputWidth, List<EpochRecord> history) {
    }

    @FunctionalInterface
    interface ModelFactory<M> {
        M create(String uid, TrainedNetwork trained, ModelInfo info);
    }

    static final class Writer extends MLWriter {
        private final DL4JModel<?> model;

        Writer(DL4JModel<?> model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            SparkContext sc = sparkSession().sparkContext();
            DefaultParamsWriter.saveMetadata(model, path, sc, scala.Option.apply(null), scala.Option.apply(null));
            TrainedNetwork trained = model.trained();
            byte[] params = trained.paramBytes();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("formatVersion", FORMAT_VERSION);
            info.put("networkKind", trained.spec().kind().name());
            info.put("numFeatures", model.numFeatures());
            info.put("outputWidth", model.outputWidth());
            info.put("paramsBytes", params.length);
            info.put("paramsCrc32c", crc(params));
            info.put("history", model.trainingHistory());
            try {
                Path data = new Path(path, "data");
                FileSystem fs = data.getFileSystem(sc.hadoopConfiguration());
                write(fs, new Path(data, "network.json"), trained.spec().json().getBytes(StandardCharsets.UTF_8));
                write(fs, new Path(data, "params.bin"), params);
                write(fs, new Path(data, "model.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(info));
            } catch (IOException e) {
                throw new IllegalStateException("cannot save model to " + path + ": " + e.getMessage(), e);
            }
        }
    }

    static final class Reader<M extends DL4JModel<M>> extends MLReader<M> {
        private final Class<M> type;
        private final ModelFactory<M> factory;

        Reader(Class<M> type, ModelFactory<M> factory) {
            this.type = type;
            this.factory = factory;
        }

        @Override
        public M load(String path) {
            SparkContext sc = sparkSession().sparkContext();
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sc, type.getName());
            try {
                Path data = new Path(path, "data");
                FileSystem fs = data.getFileSystem(sc.hadoopConfiguration());
                JsonNode info = JSON.readTree(read(fs, new Path(data, "model.json")));
                int version = info.path("formatVersion").asInt(-1);
                if (version != FORMAT_VERSION) {
                    throw new IllegalArgumentException("Model at " + path + " has data format version " + version
                            + "; this spark-dl reads version " + FORMAT_VERSION);
                }
                byte[] params = read(fs, new Path(data, "params.bin"));
                if (params.length != info.path("paramsBytes").asLong() || crc(params) != info.path("paramsCrc32c").asLong()) {
                    throw new IllegalArgumentException("Model at " + path + ": data/params.bin is corrupt "
                            + "(length or CRC32C does not match model.json)");
                }
                // Untrusted bytes: decode them now (ND4J's own format, never Java serialization) so a
                // crafted file fails here, naming the file, not later inside a scoring task.
                try {
                    TrainedNetwork.fromBytes(params);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("Model at " + path + ": data/params.bin is not an ND4J array "
                            + "(" + e.getMessage() + ")", e);
                }
                NetworkSpec spec = NetworkSpec.fromJson(new String(read(fs, new Path(data, "network.json")),
                        StandardCharsets.UTF_8));
                List<EpochRecord> history = new ArrayList<>();
                for (JsonNode e : info.path("history")) {
                    history.add(new EpochRecord(e.path("epoch").asInt(), e.path("step").asLong(),
                            number(e, "trainLoss"), e.path("samples").asLong(), number(e, "seconds"),
                            number(e, "exchangeSeconds"), number(e, "validationLoss"), number(e, "validationMetric"),
                            e.path("bytesExchanged").asLong(), number(e, "staleness")));
                }
                ModelInfo modelInfo = new ModelInfo(info.path("numFeatures").asInt(), info.path("outputWidth").asInt(),
                        history);
                M model = factory.create(metadata.uid(), new TrainedNetwork(spec, params), modelInfo);
                metadata.getAndSetParams(model, scala.Option.apply(null));
                return model;
            } catch (org.apache.hadoop.fs.ChecksumException e) {
                throw new IllegalArgumentException("Model at " + path + " is corrupt: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new IllegalStateException("cannot load model from " + path + ": " + e.getMessage(), e);
            }
        }
    }

    /** A double written by Jackson; NaN is written as the string "NaN". */
    private static double number(JsonNode record, String field) {
        JsonNode value = record.path(field);
        return value.isNumber() ? value.asDouble() : value.isTextual() ? Double.parseDouble(value.asText()) : Double.NaN;
    }

    private static long crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    private static void write(FileSystem fs, Path file, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(bytes);
        }
    }

    private static byte[] read(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }
}
