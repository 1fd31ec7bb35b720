package dev.sparkdl.collective;

/** Element types a collective can reduce. */
public enum ElementType
{
    FLOAT(Float.BYTES),
    DOUBLE(Double.BYTES);

    private final int width;

    ElementType(final int width)
    {
        this.width = width;
    }

    /** @return bytes per element; also the element type's code on the wire. */
    public int width()
    {
        return width;
    }
}
