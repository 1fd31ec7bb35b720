package dev.sparkdl.arrow.spark;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import org.apache.spark.sql.types.UserDefinedType;

/**
 * The one shim to Spark ML's vector classes, which live in spark-mllib-local, a jar this module
 * does not compile against (Spark is provided; adding MLlib for two accessors is not worth it).
 * Handles are resolved once per column from the UDT's own class loader, then called per row
 * like plain getters: {@code DenseVector.values()}, {@code SparseVector.size()/indices()/values()}.
 * Works for both {@code org.apache.spark.ml.linalg} and the older {@code mllib.linalg}.
 */
final class LinalgVectors {
    private static final String[] VECTOR_CLASSES = {
        "org.apache.spark.ml.linalg.Vector", "org.apache.spark.mllib.linalg.Vector"};

    private final Class<?> dense;
    private final Class<?> sparse;
    private final MethodHandle denseValues;
    private final MethodHandle sparseSize;
    private final MethodHandle sparseIndices;
    private final MethodHandle sparseValues;

    private LinalgVectors(Class<?> vectorClass) throws ReflectiveOperationException {
        ClassLoader loader = vectorClass.getClassLoader();
        String pkg = vectorClass.getPackageName();
        dense = Class.forName(pkg + ".DenseVector", false, loader);
        sparse = Class.forName(pkg + ".SparseVector", false, loader);
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodType toObject = MethodType.methodType(double[].class, Object.class);
        denseValues = lookup.findVirtual(dense, "values", MethodType.methodType(double[].class)).asType(toObject);
        sparseValues = lookup.findVirtual(sparse, "values", MethodType.methodType(double[].class)).asType(toObject);
        sparseIndices = lookup.findVirtual(sparse, "indices", MethodType.methodType(int[].class))
            .asType(MethodType.methodType(int[].class, Object.class));
        sparseSize = lookup.findVirtual(sparse, "size", MethodType.methodType(int.class))
            .asType(MethodType.methodType(int.class, Object.class));
    }

    /** Whether {@code udt} is Spark's VectorUDT (ml or mllib). */
    static boolean isVectorUdt(UserDefinedType<?> udt) {
        String name = udt.userClass().getName();
        for (String c : VECTOR_CLASSES) {
            if (c.equals(name)) {
                return true;
            }
        }
        return false;
    }

    static LinalgVectors forUdt(UserDefinedType<?> udt) {
        try {
            return new LinalgVectors(udt.userClass());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach Spark's vector classes next to " + udt.userClass(), e);
        }
    }

    boolean isDense(Object vector) {
        return dense.isInstance(vector);
    }

    boolean isSparse(Object vector) {
        return sparse.isInstance(vector);
    }

    double[] denseValues(Object vector) {
        try {
            return (double[]) denseValues.invokeExact(vector);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int sparseSize(Object vector) {
        try {
            return (int) sparseSize.invokeExact(vector);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int[] sparseIndices(Object vector) {
        try {
            return (int[]) sparseIndices.invokeExact(vector);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    double[] sparseValues(Object vector) {
        try {
            return (double[]) sparseValues.invokeExact(vector);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
