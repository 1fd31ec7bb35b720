package dev.sparkdl.arrow.spark;

/**
 * What a converter throws on bad input; {@link RowsToArrow} adds the column and row position.
 * No stack trace: it is a message carrier, turned into a {@link BadRowException} one frame up.
 */
final class BadValue extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadValue(String reason) {
        super(reason, null, false, false);
    }

    static BadValue nonFinite(double value, int index) {
        return new BadValue((Double.isNaN(value) ? "NaN" : "infinite value " + value) + " at index " + index);
    }

    static BadValue notFloat(double value, int index) {
        return new BadValue("value " + value + " at index " + index + " overflows a float");
    }
}
