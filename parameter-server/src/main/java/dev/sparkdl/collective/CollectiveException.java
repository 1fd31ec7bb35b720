package dev.sparkdl.collective;

/**
 * A collective failed. Carries the rank to blame (when known) and its endpoint, so that a Spark task
 * failure says which executor to look at.
 */
public final class CollectiveException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** Rank value when no single peer is to blame. */
    public static final int NO_RANK = -1;

    /** Why a collective failed; {@link #code()} travels in abort messages. */
    public enum Reason
    {
        /** A peer made no progress within the deadline. */
        TIMEOUT(1),
        /** A peer's process or driver went away (its image or connection was lost). */
        PEER_GONE(2),
        /** A peer failed the handshake (wrong secret, wrong rank or world size). */
        AUTHENTICATION(3),
        /** A chunk failed its CRC32C check. */
        CORRUPT_CHUNK(4),
        /** A peer sent something the protocol does not allow (another operation, length or type). */
        PROTOCOL(5),
        /** The calling thread was interrupted. */
        INTERRUPTED(6),
        /** The rendezvous failed. */
        RENDEZVOUS(7),
        /** A rank's own work (not the collective) failed; it aborted the collective and named itself. */
        RANK_FAILED(8),
        /** The reason came in an abort whose code this version does not know. */
        UNKNOWN(0);

        private final int code;

        Reason(final int code)
        {
            this.code = code;
        }

        public int code()
        {
            return code;
        }

        static Reason fromCode(final int code)
        {
            for (final Reason reason : values())
            {
                if (reason.code == code)
                {
                    return reason;
                }
            }
            return UNKNOWN;
        }
    }

    private final Reason reason;
    private final int culpritRank;
    private final String culpritEndpoint;

    public CollectiveException(final Reason reason, final int culpritRank, final String culpritEndpoint,
        final String message)
    {
        super(reason + ": " + message);
        this.reason = reason;
        this.culpritRank = culpritRank;
        this.culpritEndpoint = culpritEndpoint;
    }

    public CollectiveException(final Reason reason, final int culpritRank, final String culpritEndpoint,
        final String message, final Throwable cause)
    {
        super(reason + ": " + message, cause);
        this.reason = reason;
        this.culpritRank = culpritRank;
        this.culpritEndpoint = culpritEndpoint;
    }

    public Reason reason()
    {
        return reason;
    }

    /** @return the rank to blame, or {@link #NO_RANK}. */
    public int culpritRank()
    {
        return culpritRank;
    }

    /** @return the blamed rank's endpoint, or null. */
    public String culpritEndpoint()
    {
        return culpritEndpoint;
    }
}
