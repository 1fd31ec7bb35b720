package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sparkdl.TestData;
import dev.sparkdl.TestSpark;
import dev.sparkdl.spark.CheckpointStore;

/**
 * Model and checkpoint files are untrusted input: files carrying a Java-serialized gadget are
 * rejected with a clear error, and the gadget never runs (nothing in them is Java-deserialized).
 */
@Timeout(300)
class UntrustedFilesTest {
    /** Stands for a deserialization gadget: reading it back would run its readObject. */
    static final class Gadget implements Serializable {
        private static final long serialVersionUID = 1L;
        static volatile boolean ran;

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            ran = true;
        }
    }

    @TempDir
    Path dir;

    @BeforeEach
    void reset() {
        Gadget.ran = false;
    }

    private static byte[] gadgetBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new Gadget());
        }
        return bytes.toByteArray();
    }

    @Test
    void shouldRejectASavedModelWhoseParametersAreAJavaSerializedGadget() throws Exception {
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 2)).setEpochs(1)
                .setBatchSize(32).setNumWorkers(1).fit(TestData.blobs(60, 4, 3, 7));
        Path saved = dir.resolve("model");
        model.write().save(saved.toString());
        // A crafted model: the gadget in place of the parameters, with the length and checksum it claims.
        byte[] gadget = gadgetBytes();
        Path data = saved.resolve("data");
        Files.write(data.resolve("params.bin"), gadget);
        ObjectMapper json = new ObjectMapper();
        ObjectNode info = (ObjectNode) json.readTree(data.resolve("model.json").toFile());
        CRC32C crc = new CRC32C();
        crc.update(gadget);
        info.put("paramsBytes", gadget.length).put("paramsCrc32c", crc.getValue());
        json.writeValue(data.resolve("model.json").toFile(), info);
        removeHadoopChecksums(saved);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DL4JClassificationModel.load(saved.toString()));
        assertTrue(e.getMessage().contains("data/params.bin is not an ND4J array"), e.getMessage());
        assertFalse(Gadget.ran, "the model's bytes were Java-deserialized");
    }

    @Test
    void shouldRejectADl4jModelZipCarryingAGadget() throws Exception {
        // DL4J's own zip layout, as ModelSerializer writes it, with a serialized object as updater state.
        Path zip = dir.resolve("model.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("configuration.json"));
            out.write(TestData.mlp(4, 8, 3, 2).toJson().getBytes(StandardCharsets.UTF_8));
            out.putNextEntry(new ZipEntry("updaterState.bin"));
            out.write(gadgetBytes());
            out.closeEntry();
        }
        TestSpark.session();
        Exception e = assertThrows(Exception.class, () -> DL4JClassificationModel.load(zip.toString()));
        assertTrue(String.valueOf(e.getMessage()).contains(zip.getFileName().toString()), e.getMessage());
        assertFalse(Gadget.ran, "the zip's bytes were Java-deserialized");
    }

    @Test
    void shouldSkipACheckpointThatIsAJavaSerializedGadget() throws Exception {
        Files.write(dir.resolve("ckpt-000000000007.sdl"), gadgetBytes());
        assertNull(new CheckpointStore(dir.toString(), 2, new Configuration()).latest("{}"));
        assertFalse(Gadget.ran, "the checkpoint's bytes were Java-deserialized");
    }

    private static void removeHadoopChecksums(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".crc")).toList()) {
                Files.delete(p);
            }
        }
    }
}
