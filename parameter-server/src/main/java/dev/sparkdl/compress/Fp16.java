package dev.sparkdl.compress;

/** IEEE 754 binary16 conversions (Java 17 has none): round to nearest even, infinities and NaN kept. */
public final class Fp16
{
    /** Largest finite half. */
    public static final float MAX = 65504f;

    private Fp16()
    {
    }

    public static short fromFloat(final float value)
    {
        final int bits = Float.floatToRawIntBits(value);
        final int sign = (bits >>> 16) & 0x8000;
        final int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7f_ffff;
        if (exponent == 0xff)
        {
            return (short)(sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
        }
        final int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1f)
        {
            return (short)(sign | 0x7c00);
        }
        if (halfExponent <= 0)
        {
            // Subnormal half: value = m * 2^-24.
            if (halfExponent < -10)
            {
                return (short)sign;
            }
            mantissa |= 0x80_0000;
            final int shift = 14 - halfExponent;
            return (short)(sign | roundShift(mantissa, shift));
        }
        // Rounding may carry into the exponent, which is the correct next value (up to infinity).
        return (short)(sign | roundShift((halfExponent << 23) | mantissa, 13));
    }

    public static float toFloat(final short half)
    {
        final int bits = half & 0xffff;
        final int sign = (bits & 0x8000) << 16;
        final int exponent = (bits >>> 10) & 0x1f;
        final int mantissa = bits & 0x3ff;
        if (exponent == 0x1f)
        {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mantissa << 13));
        }
        if (exponent == 0)
        {
            final float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    private static int roundShift(final int value, final int shift)
    {
        final int kept = value >>> shift;
        final int rest = value & ((1 << shift) - 1);
        final int half = 1 << (shift - 1);
        return rest > half || (rest == half && (kept & 1) != 0) ? kept + 1 : kept;
    }
}
