package dev.sparkdl.arrow;

import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The layout of a training batch: {@code features: FixedSizeList<Float4>[width]} (the values
 * of row {@code r} are floats {@code r*width .. r*width+width-1} of the child's data buffer, so
 * the whole column is one row-major matrix) and, optionally, {@code label: Float4}.
 */
public final class TrainingSchema {
    public static final String FEATURES = "features";
    public static final String LABEL = "label";
    private static final ArrowType FLOAT4 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

    private TrainingSchema() {
    }

    /** The schema for {@code width} features, with a label column when {@code withLabel}. */
    public static Schema schema(int width, boolean withLabel) {
        if (width <= 0) {
            throw new IllegalArgumentException("feature width must be positive: " + width);
        }
        Field element = new Field("element", FieldType.notNullable(FLOAT4), null);
        Field features = new Field(FEATURES, FieldType.notNullable(new ArrowType.FixedSizeList(width)),
            List.of(element));
        return withLabel
            ? new Schema(List.of(features, new Field(LABEL, FieldType.notNullable(FLOAT4), null)))
            : new Schema(List.of(features));
    }

    /** The feature width of a root with this layout, checking the layout on the way. */
    public static int width(VectorSchemaRoot root) {
        return features(root).getListSize();
    }

    public static FixedSizeListVector features(VectorSchemaRoot root) {
        FieldVector v = root.getVector(FEATURES);
        if (!(v instanceof FixedSizeListVector list) || !(list.getDataVector() instanceof Float4Vector)) {
            throw new IllegalArgumentException("not a training batch, expected " + FEATURES
                + ": FixedSizeList<Float4> in " + root.getSchema());
        }
        return list;
    }

    /** The label vector, or null when the batch has none (inference input). */
    public static Float4Vector labelsOrNull(VectorSchemaRoot root) {
        FieldVector v = root.getSchema().getFields().stream().anyMatch(f -> f.getName().equals(LABEL))
            ? root.getVector(LABEL) : null;
        if (v != null && !(v instanceof Float4Vector)) {
            throw new IllegalArgumentException("expected " + LABEL + ": Float4 in " + root.getSchema());
        }
        return (Float4Vector) v;
    }

    /** The float data of the feature column, row-major. */
    public static Float4Vector featureValues(VectorSchemaRoot root) {
        return (Float4Vector) features(root).getDataVector();
    }

    /**
     * An empty root with room for {@code rows} rows, every validity bit set once: writers fill
     * the data buffers directly and the batch never holds nulls.
     */
    public static VectorSchemaRoot allocate(BufferAllocator allocator, int width, boolean withLabel, int rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema(width, withLabel), allocator);
        try {
            FixedSizeListVector features = features(root);
            features.setInitialCapacity(rows);
            features.allocateNew();
            markAllValid(features.getValidityBuffer(), rows);
            markAllValid(features.getDataVector().getValidityBuffer(), (long) rows * width);
            Float4Vector labels = labelsOrNull(root);
            if (labels != null) {
                labels.allocateNew(rows);
                markAllValid(labels.getValidityBuffer(), rows);
            }
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private static void markAllValid(org.apache.arrow.memory.ArrowBuf validity, long count) {
        validity.setOne(0, (count + 7) / 8);
    }
}
