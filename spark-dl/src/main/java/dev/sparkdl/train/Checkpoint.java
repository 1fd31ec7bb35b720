package dev.sparkdl.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The state a fit resumes from: parameters, updater state, where training stood (epochs done and
 * steps into the next), and the history so far. Encoded in our own binary layout with a CRC32C
 * over everything, never as a Java-serialized object.
 *
 * <pre>
 *   "SPARKDL-CKPT" version:int networkJson:UTF epochsDone:int stepInEpoch:int globalStep:long
 *   iteration:int history:int [epoch record (staleness:double since version 2)]...
 *   params:bytes updaterState:bytes (length -1 = none)
 *   crc32c:long (of everything before it)
 * </pre>
 */
public record Checkpoint(String networkJson, int epochsDone, int stepInEpoch, long globalStep, int iteration,
                         List<EpochRecord> history, byte[] params, byte[] updaterState) {
    private static final String MAGIC = "SPARKDL-CKPT";
    private static final int VERSION = 2;
    /** Version 1 had no staleness in its epoch records; still read. */
    private static final int VERSION_WITHOUT_STALENESS = 1;

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(params.length + 1024);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF(MAGIC);
            out.writeInt(VERSION);
            writeLongString(out, networkJson);
            out.writeInt(epochsDone);
            out.writeInt(stepInEpoch);
            out.writeLong(globalStep);
            out.writeInt(iteration);
            out.writeInt(history.size());
            for (EpochRecord r : history) {
                out.writeInt(r.epoch());
                out.writeLong(r.step());
                out.writeDouble(r.trainLoss());
                out.writeLong(r.samples());
                out.writeDouble(r.seconds());
                out.writeDouble(r.exchangeSeconds());
                out.writeDouble(r.validationLoss());
                out.writeDouble(r.validationMetric());
                out.writeLong(r.bytesExchanged());
                out.writeDouble(r.staleness());
            }
            writeBytes(out, params);
            writeBytes(out, updaterState);
            out.flush();
            CRC32C crc = new CRC32C();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a checkpoint", e);
        }
    }

    /** Decodes and verifies a checkpoint; throws IllegalArgumentException naming what is wrong. */
    public static Checkpoint decode(byte[] data, String source) {
        if (data.length < 8) {
            throw new IllegalArgumentException("checkpoint " + source + " is truncated (" + data.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 8);
        long stored = java.nio.ByteBuffer.wrap(data, data.length - 8, 8).getLong();
        if (crc.getValue() != stored) {
            throw new IllegalArgumentException("checkpoint " + source + " fails its CRC32C check (partial or corrupt)");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 8))) {
            int version = MAGIC.equals(in.readUTF()) ? in.readInt() : -1;
            if (version != VERSION && version != VERSION_WITHOUT_STALENESS) {
                throw new IllegalArgumentException("checkpoint " + source + " is not a version " + VERSION
                        + " spark-dl checkpoint");
            }
            String json = readLongString(in);
            int epochsDone = in.readInt();
            int stepInEpoch = in.readInt();
            long globalStep = in.readLong();
            int iteration = in.readInt();
            int records = in.readInt();
            List<EpochRecord> history = new ArrayList<>(records);
            for (int i = 0; i < records; i++) {
                history.add(new EpochRecord(in.readInt(), in.readLong(), in.readDouble(), in.readLong(), in.readDouble(),
                        in.readDouble(), in.readDouble(), in.readDouble(), in.readLong(),
                        version == VERSION ? in.readDouble() : Double.NaN));
            }
            byte[] params = readBytes(in);
            byte[] updater = readBytes(in);
            return new Checkpoint(json, epochsDone, stepInEpoch, globalStep, iteration, history, params, updater);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + source + " is malformed: " + e.getMessage(), e);
        }
    }

    private static void writeLongString(DataOutputStream out, String value) throws IOException {
        writeBytes(out, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String readLongString(DataInputStream in) throws IOException {
        return new String(readBytes(in), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void writeBytes(DataOutputStream out, byte[] value) throws IOException {
        out.writeInt(value == null ? -1 : value.length);
        if (value != null) {
            out.write(value);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < -1) {
            throw new IOException("negative length " + length);
        }
        if (length == -1) {
            return null;
        }
        byte[] value = new byte[length];
        in.readFully(value);
        return value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Checkpoint c && c.epochsDone == epochsDone && c.stepInEpoch == stepInEpoch
                && c.globalStep == globalStep && c.iteration == iteration && c.networkJson.equals(networkJson)
                && c.history.equals(history) && Arrays.equals(c.params, params)
                && Arrays.equals(c.updaterState, updaterState);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(globalStep) * 31 + Arrays.hashCode(params);
    }
}
