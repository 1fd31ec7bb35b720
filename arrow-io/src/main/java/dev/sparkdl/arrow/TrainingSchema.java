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
 * the whole column is one row-major matrix) and, optionally, the label: {@code label: Float4}
 * for one value per row, or {@code label: FixedSizeList<Float4>[labelWidth]} for several (one
 * per time step of a sequence), again one row-major matrix.
 */
public final class TrainingSchema {
    public static final String FEATURES = "features";
    public static final String LABEL = "label";
    private static final ArrowType FLOAT4 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

    private TrainingSchema() {
    }

    /** The schema for {@code width} features, with a one-value label column when {@code withLabel}. */
    public static Schema schema(int width, boolean withLabel) {
        return schema(width, withLabel ? 1 : 0);
    }

    /** The schema for {@code width} features and {@code labelWidth} label values per row (0: no label). */
    public static Schema schema(int width, int labelWidth) {
        if (width <= 0 || labelWidth < 0) {
            throw new IllegalArgumentException("feature width must be positive and label width not negative: "
                + width + ", " + labelWidth);
        }
        Field features = floatList(FEATURES, width);
        if (labelWidth == 0) {
            return new Schema(List.of(features));
        }
        Field label = labelWidth == 1 ? new Field(LABEL, FieldType.notNullable(FLOAT4), null)
            : floatList(LABEL, labelWidth);
        return new Schema(List.of(features, label));
    }

    private static Field floatList(String name, int width) {
        Field element = new Field("element", FieldType.notNullable(FLOAT4), null);
        return new Field(name, FieldType.notNullable(new ArrowType.FixedSizeList(width)), List.of(element));
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

    /**
     * The label values, row-major ({@link #labelWidth} per row), or null when the batch has none
     * (inference input).
     */
    public static Float4Vector labelsOrNull(VectorSchemaRoot root) {
        FieldVector v = labelVectorOrNull(root);
        if (v instanceof FixedSizeListVector list && list.getDataVector() instanceof Float4Vector values) {
            return values;
        }
        if (v != null && !(v instanceof Float4Vector)) {
            throw new IllegalArgumentException("expected " + LABEL + ": Float4 or FixedSizeList<Float4> in "
                + root.getSchema());
        }
        return (Float4Vector) v;
    }

    /** Label values per row: 1 for {@code label: Float4}, the list size for a list, 0 without a label. */
    public static int labelWidth(VectorSchemaRoot root) {
        FieldVector v = labelVectorOrNull(root);
        if (v == null) {
            return 0;
        }
        labelsOrNull(root);
        return v instanceof FixedSizeListVector list ? list.getListSize() : 1;
    }

    private static FieldVector labelVectorOrNull(VectorSchemaRoot root) {
        return root.getSchema().getFields().stream().anyMatch(f -> f.getName().equals(LABEL))
            ? root.getVector(LABEL) : null;
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
        return allocate(allocator, width, withLabel ? 1 : 0, rows);
    }

    /** As {@link #allocate(BufferAllocator, int, boolean, int)} with {@code labelWidth} label values per row. */
    public static VectorSchemaRoot allocate(BufferAllocator allocator, int width, int labelWidth, int rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema(width, labelWidth), allocator);
        try {
            allocateList(features(root), width, rows);
            FieldVector labels = labelVectorOrNull(root);
            if (labels instanceof FixedSizeListVector list) {
                allocateList(list, labelWidth, rows);
            } else if (labels instanceof Float4Vector values) {
                values.allocateNew(rows);
                markAllValid(values.getValidityBuffer(), rows);
            }
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private static void allocateList(FixedSizeListVector list, int width, int rows) {
        list.setInitialCapacity(rows);
        list.allocateNew();
        markAllValid(list.getValidityBuffer(), rows);
        markAllValid(list.getDataVector().getValidityBuffer(), (long) rows * width);
    }

    private static void markAllValid(org.apache.arrow.memory.ArrowBuf validity, long count) {
        validity.setOne(0, (count + 7) / 8);
    }
}
