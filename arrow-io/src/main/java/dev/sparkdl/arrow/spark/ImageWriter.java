package dev.sparkdl.arrow.spark;

import java.util.List;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * Spark's image data source column ({@code spark.read.format("image")}): a struct
 * {@code (origin, height, width, nChannels, mode, data)} whose {@code data} holds 8-bit pixels
 * row by row, channels interleaved in the order Spark stores them (BGR, or BGRA). Written as
 * floats in {@code [channels, height, width]} order (what {@code InputType.convolutionalFlat}
 * reads), each byte scaled to {@code [0, 1]}, channels kept in Spark's order. Every image must
 * have the size of the first one.
 */
final class ImageWriter implements FeatureWriter {
    private static final List<String> FIELDS = List.of("height", "width", "nChannels", "data");

    private final int fields;
    private final int heightOrdinal;
    private final int widthOrdinal;
    private final int channelsOrdinal;
    private final int dataOrdinal;
    /** height, width, channels of the first image: the size every image must have. */
    private int[] size;

    ImageWriter(StructType struct) {
        this.fields = struct.fields().length;
        this.heightOrdinal = struct.fieldIndex("height");
        this.widthOrdinal = struct.fieldIndex("width");
        this.channelsOrdinal = struct.fieldIndex("nChannels");
        this.dataOrdinal = struct.fieldIndex("data");
    }

    /** Whether {@code type} is the image data source's struct. */
    static boolean isImage(DataType type) {
        return type instanceof StructType struct && List.of(struct.fieldNames()).containsAll(FIELDS);
    }

    private int checkedWidth(int height, int width, int channels, byte[] data) {
        if (height <= 0 || width <= 0 || channels <= 0) {
            throw new BadValue("image of " + height + "x" + width + "x" + channels + " (height x width x channels)");
        }
        if (size == null) {
            size = new int[] {height, width, channels};
        } else if (size[0] != height || size[1] != width || size[2] != channels) {
            throw new BadValue("image of " + height + "x" + width + "x" + channels + " (height x width x channels), "
                + "expected " + size[0] + "x" + size[1] + "x" + size[2] + ": images must all have one size");
        }
        long pixels = (long) height * width * channels;
        if (data == null || data.length != pixels) {
            throw new BadValue("image data of " + (data == null ? "null" : data.length + " bytes") + ", expected "
                + pixels + " (8-bit pixels of " + height + "x" + width + "x" + channels + ")");
        }
        return Math.toIntExact(pixels);
    }

    @Override
    public int width(Object value) {
        Row image = (Row) value;
        return checkedWidth(image.getInt(heightOrdinal), image.getInt(widthOrdinal), image.getInt(channelsOrdinal),
            (byte[]) image.get(dataOrdinal));
    }

    @Override
    public void write(Object value, ArrowBuf dst, long offset, int width) {
        Row image = (Row) value;
        write((byte[]) image.get(dataOrdinal), dst, offset);
    }

    @Override
    public int width(InternalRow row, int ordinal) {
        InternalRow image = row.getStruct(ordinal, fields);
        return checkedWidth(image.getInt(heightOrdinal), image.getInt(widthOrdinal), image.getInt(channelsOrdinal),
            image.getBinary(dataOrdinal));
    }

    @Override
    public void write(InternalRow row, int ordinal, ArrowBuf dst, long offset, int width) {
        write(row.getStruct(ordinal, fields).getBinary(dataOrdinal), dst, offset);
    }

    /** Interleaved {@code [height, width, channels]} bytes to planar {@code [channels, height, width]} floats. */
    private void write(byte[] data, ArrowBuf dst, long offset) {
        int pixels = size[0] * size[1];
        int channels = size[2];
        for (int p = 0; p < pixels; p++) {
            for (int c = 0; c < channels; c++) {
                dst.setFloat(offset + ((long) c * pixels + p) * Float.BYTES, (data[p * channels + c] & 0xFF) / 255f);
            }
        }
    }
}
