package dev.sparkdl.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Fashion-MNIST from its IDX files (gzipped, as Debian's dataset-fashion-mnist installs them):
 * 28x28 grey images as 784 features scaled to [0, 1] and a class index 0..9.
 */
public final class FashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String DIR_PROPERTY = "sparkdl.fashionMnist.dir";
    public static final int PIXELS = 28 * 28;
    public static final int CLASSES = 10;

    private static final int IMAGES_MAGIC = 2051;
    private static final int LABELS_MAGIC = 2049;

    public static final StructType SCHEMA = new StructType()
            .add("features", new VectorUDT(), false)
            .add("label", DataTypes.DoubleType, false);

    private FashionMnist() {
    }

    /** The data directory: {@value #DIR_PROPERTY} if set, else the Debian package's directory. */
    public static Path directory() {
        return Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR.toString()));
    }

    /** Fails with the install command when the files are missing. */
    public static Path requireFiles() {
        Path dir = directory();
        for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            if (!Files.isReadable(dir.resolve(name))) {
                throw new IllegalStateException("Fashion-MNIST file " + dir.resolve(name) + " is missing. Install it "
                        + "with `sudo apt-get install dataset-fashion-mnist`, or point -D" + DIR_PROPERTY
                        + " at a directory holding the four IDX .gz files.");
            }
        }
        return dir;
    }

    /** The 60,000 training images, or the first {@code limit} of them. */
    public static Dataset<Row> train(SparkSession spark, int limit) throws IOException {
        Path dir = requireFiles();
        return frame(spark, dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"), limit);
    }

    /** The 10,000 test images, or the first {@code limit} of them. */
    public static Dataset<Row> test(SparkSession spark, int limit) throws IOException {
        Path dir = requireFiles();
        return frame(spark, dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), limit);
    }

    /** The first {@code limit} training images (all when 0) as rows, read in this JVM without Spark. */
    public static List<Row> trainRows(int limit) throws IOException {
        return localRows(requireFiles(), "train", limit);
    }

    /** The first {@code limit} test images (all when 0) as rows, read in this JVM without Spark. */
    public static List<Row> testRows(int limit) throws IOException {
        return localRows(requireFiles(), "t10k", limit);
    }

    private static List<Row> localRows(Path dir, String prefix, int limit) throws IOException {
        Path images = dir.resolve(prefix + "-images-idx3-ubyte.gz");
        int count;
        try (DataInputStream img = open(images, IMAGES_MAGIC)) {
            count = img.readInt();
        }
        return readRange(images, dir.resolve(prefix + "-labels-idx1-ubyte.gz"), 0,
                limit > 0 ? Math.min(limit, count) : count);
    }

    /**
     * Reads the images on the executors, a range per partition, so no task carries the data set.
     * The files must therefore be readable at the same path on every executor (as after
     * {@code apt-get install dataset-fashion-mnist} on every node, or on a shared mount).
     */
    private static Dataset<Row> frame(SparkSession spark, Path images, Path labels, int limit) throws IOException {
        int count;
        try (DataInputStream img = open(images, IMAGES_MAGIC)) {
            count = img.readInt();
        }
        int n = limit > 0 ? Math.min(limit, count) : count;
        int partitions = Math.max(1, Math.min(8, n / 2000));
        String imagesPath = images.toString();
        String labelsPath = labels.toString();
        List<Integer> slices = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            slices.add(p);
        }
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(slices, partitions)
                .flatMap(p -> readRange(Path.of(imagesPath), Path.of(labelsPath),
                        (int) ((long) n * p / partitions), (int) ((long) n * (p + 1) / partitions)).iterator());
        return spark.createDataFrame(rows, SCHEMA);
    }

    /** Images {@code [from, to)} of the files, as rows. */
    static List<Row> readRange(Path images, Path labels, int from, int to) throws IOException {
        List<Row> rows = new ArrayList<>(to - from);
        try (DataInputStream img = open(images, IMAGES_MAGIC); DataInputStream lab = open(labels, LABELS_MAGIC)) {
            int count = img.readInt();
            int labelCount = lab.readInt();
            int height = img.readInt();
            int width = img.readInt();
            if (count != labelCount || height * width != PIXELS || to > count) {
                throw new IOException("IDX files disagree: " + count + " images of " + height + "x" + width
                        + ", " + labelCount + " labels");
            }
            img.skipNBytes((long) from * PIXELS);
            lab.skipNBytes(from);
            byte[] pixels = new byte[PIXELS];
            for (int i = from; i < to; i++) {
                img.readFully(pixels);
                double[] features = new double[PIXELS];
                for (int p = 0; p < PIXELS; p++) {
                    features[p] = (pixels[p] & 0xFF) / 255.0;
                }
                rows.add(RowFactory.create(Vectors.dense(features), (double) lab.readUnsignedByte()));
            }
        }
        return rows;
    }

    private static DataInputStream open(Path file, int magic) throws IOException {
        InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(file)), 1 << 16);
        DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 16));
        int found = data.readInt();
        if (found != magic) {
            data.close();
            throw new IOException(file + " is not an IDX file of the expected kind (magic " + found + ", expected "
                    + magic + ")");
        }
        return data;
    }
}
