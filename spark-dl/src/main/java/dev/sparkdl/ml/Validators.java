package dev.sparkdl.ml;

import java.io.Serializable;
import java.util.Arrays;

import scala.Function1;

/** Param validators written in Java; Spark reports a failing value with the param's name. */
final class Validators {

    private Validators() {
    }

    static Function1<String, Object> nonBlank() {
        return (Function1<String, Object> & Serializable) value -> value != null && !value.isBlank();
    }

    static Function1<String, Object> notNull() {
        return (Function1<String, Object> & Serializable) value -> value != null;
    }

    static Function1<String, Object> oneOf(String... allowed) {
        return (Function1<String, Object> & Serializable) value -> Arrays.asList(allowed).contains(value);
    }

    /** Column names: none blank, none repeated. */
    static Function1<String[], Object> distinctNames() {
        return (Function1<String[], Object> & Serializable) values -> values != null
                && Arrays.stream(values).noneMatch(v -> v == null || v.isBlank())
                && Arrays.stream(values).distinct().count() == values.length;
    }

    static Function1<Object, Object> atLeast(int lowerBound) {
        return (Function1<Object, Object> & Serializable) value -> ((Integer) value) >= lowerBound;
    }
}
