package dev.sparkdl.collective;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * HMAC-SHA256 proofs that a peer knows the per-fit secret. The MAC covers the link kind, both ranks,
 * the world size and the receiver's fresh nonce, so a proof is valid for one link of one collective
 * only. Not thread safe.
 */
public final class PeerAuthenticator
{
    static final int MIN_SECRET_LENGTH = 16;
    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] DOMAIN = "spark-dl ring allreduce v1".getBytes(StandardCharsets.US_ASCII);

    private final Mac mac;

    public PeerAuthenticator(final byte[] secret)
    {
        if (null == secret || secret.length < MIN_SECRET_LENGTH)
        {
            throw new IllegalArgumentException("the per-fit secret must have at least " + MIN_SECRET_LENGTH +
                " bytes, got " + (null == secret ? "null" : secret.length));
        }
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(Arrays.copyOf(secret, secret.length), ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    public byte[] proof(final int link, final int senderRank, final int receiverRank, final int worldSize,
        final byte[] receiverNonce)
    {
        mac.update(DOMAIN);
        mac.update(ByteBuffer.allocate(16).putInt(link).putInt(senderRank).putInt(receiverRank).putInt(worldSize)
            .array());
        mac.update(receiverNonce);
        return mac.doFinal();
    }

    public boolean verify(final byte[] proof, final int link, final int senderRank, final int receiverRank,
        final int worldSize, final byte[] receiverNonce)
    {
        // Constant time, so a forger learns nothing from how long a refusal takes.
        return MessageDigest.isEqual(proof, proof(link, senderRank, receiverRank, worldSize, receiverNonce));
    }
}
