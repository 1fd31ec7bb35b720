package dev.sparkdl.arrow.spark;

import java.util.List;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;

import scala.collection.Seq;
import scala.collection.mutable.WrappedArray;

/**
 * The external (Row) forms Spark and users give an array column: a Scala {@code Seq} (Spark
 * itself hands out a {@code WrappedArray}), a Java {@code List}, or a primitive/boxed Java array
 * (common with {@code RowFactory.create}). Element values are numbers; a float array is
 * copied in one block.
 */
final class ExternalArrays {
    private static final long FLOAT_ARRAY_BASE = MemoryUtil.UNSAFE.arrayBaseOffset(float[].class);

    private ExternalArrays() {
    }

    static int length(Object value) {
        if (value instanceof WrappedArray<?> wrapped) {
            return length(wrapped.array());
        } else if (value instanceof float[] a) {
            return a.length;
        } else if (value instanceof double[] a) {
            return a.length;
        } else if (value instanceof Object[] a) {
            return a.length;
        } else if (value instanceof Seq<?> seq) {
            return seq.length();
        } else if (value instanceof List<?> list) {
            return list.size();
        }
        throw new BadValue("expected an array, found " + value.getClass().getName());
    }

    /** Element {@code index} of an array value (a sequence's step). */
    static Object element(Object value, int index) {
        if (value instanceof WrappedArray<?> wrapped) {
            return element(wrapped.array(), index);
        } else if (value instanceof Object[] a) {
            return a[index];
        } else if (value instanceof Seq<?> seq) {
            return seq.apply(index);
        } else if (value instanceof List<?> list) {
            return list.get(index);
        } else if (value instanceof float[] || value instanceof double[]) {
            throw new BadValue("expected an array of arrays (time steps), found an array of numbers");
        }
        throw new BadValue("expected an array, found " + value.getClass().getName());
    }

    static void write(Object value, ArrowBuf dst, long offset, int width) {
        if (value instanceof WrappedArray<?> wrapped) {
            write(wrapped.array(), dst, offset, width);
        } else if (value instanceof float[] a) {
            for (int i = 0; i < width; i++) {
                FeatureWriter.checkFloat(a[i], i);
            }
            dst.checkBytes(offset, offset + (long) width * Float.BYTES);
            MemoryUtil.UNSAFE.copyMemory(a, FLOAT_ARRAY_BASE, null, dst.memoryAddress() + offset,
                (long) width * Float.BYTES);
        } else if (value instanceof double[] a) {
            for (int i = 0; i < width; i++) {
                dst.setFloat(offset + (long) i * Float.BYTES, FeatureWriter.toFloat(a[i], i));
            }
        } else if (value instanceof Object[] a) {
            for (int i = 0; i < width; i++) {
                dst.setFloat(offset + (long) i * Float.BYTES, number(a[i], i));
            }
        } else if (value instanceof Seq<?> seq) {
            for (int i = 0; i < width; i++) {
                dst.setFloat(offset + (long) i * Float.BYTES, number(seq.apply(i), i));
            }
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < width; i++) {
                dst.setFloat(offset + (long) i * Float.BYTES, number(list.get(i), i));
            }
        } else {
            throw new BadValue("expected an array, found " + value.getClass().getName());
        }
    }

    private static float number(Object element, int index) {
        if (element instanceof Float f) {
            return FeatureWriter.checkFloat(f, index);
        } else if (element instanceof Number n) {
            return FeatureWriter.toFloat(n.doubleValue(), index);
        }
        throw new BadValue(element == null ? "null element at index " + index
            : "non-numeric element " + element.getClass().getName() + " at index " + index);
    }
}
