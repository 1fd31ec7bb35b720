package dev.sparkdl.compress;

import java.util.List;
import java.util.Locale;

/** Creates codecs by the names users know them by. */
public final class Codecs
{
    /** The names {@link #create} accepts, in wire-code order. */
    public static final List<String> NAMES = List.of("none", "threshold", "int8", "topk", "fp16");

    /** Default threshold of the threshold codec. */
    public static final double DEFAULT_THRESHOLD = 1e-3;

    /** Default k of the top-k codec: the largest magnitudes kept per push of the whole gradient. */
    public static final int DEFAULT_TOP_K = 1000;

    private Codecs()
    {
    }

    /**
     * @param name      none, threshold, int8, topk or fp16 (case-insensitive).
     * @param threshold the threshold codec's threshold, finite and positive (ignored by the others).
     * @param topK      the top-k codec's k over the whole gradient, positive (ignored by the others).
     * @return a new encoder/decoder.
     * @throws IllegalArgumentException naming the bad value.
     */
    public static GradientCodec create(final String name, final double threshold, final int topK)
    {
        final String key = null == name ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key)
        {
            case "none" -> new NoneCodec();
            case "threshold" -> new ThresholdCodec((float)threshold);
            case "int8" -> new Int8Codec();
            case "topk" -> new TopKCodec(topK);
            case "fp16" -> new Fp16Codec();
            default -> throw new IllegalArgumentException("unknown compression '" + name + "'; expected one of " +
                NAMES);
        };
    }

    /** @return the codec's name for a wire code, or null when unknown. */
    public static String nameOf(final int id)
    {
        return id >= 0 && id < NAMES.size() ? NAMES.get(id) : null;
    }
}
