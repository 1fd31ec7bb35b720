package dev.sparkdl.ps;

import dev.sparkdl.codec.ClockFlyweight;
import dev.sparkdl.codec.MessageHeader;
import dev.sparkdl.codec.ShardChunkFlyweight;
import dev.sparkdl.compress.GradientCodec;
import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.MutableDirectBuffer;

import java.util.zip.CRC32C;

/** Encodes an owner's replies straight into each worker's response publication (tryClaim, one copy). */
final class ShardServerProxy implements ShardResponder
{
    private final int rank;
    private final ExclusivePublication[] toClient;
    private final BufferClaim claim = new BufferClaim();
    private final ShardChunkFlyweight chunk = new ShardChunkFlyweight();
    private final ClockFlyweight clock = new ClockFlyweight();
    private final CRC32C crc32c = new CRC32C();

    ShardServerProxy(final int rank, final ExclusivePublication[] toClient)
    {
        this.rank = rank;
        this.toClient = toClient;
    }

    public long offerParams(final int worker, final int shard, final long appliedClock, final float[] params,
        final int first, final int count, final int rows, final double lossSum, final int epoch)
    {
        final int payloadLength = count * Float.BYTES;
        final long result = toClient[worker].tryClaim(ShardChunkFlyweight.HEADER_LENGTH + payloadLength, claim);
        if (result > 0)
        {
            final MutableDirectBuffer buffer = claim.buffer();
            chunk.wrapForEncode(buffer, claim.offset(), MessageHeader.TYPE_PARAMS, rank)
                .clock(appliedClock)
                .shard(shard)
                .encoding(GradientCodec.NONE)
                .firstElement(first)
                .elementCount(count)
                .shardLength(params.length)
                .rows(rows)
                .lossSum(lossSum)
                .epoch(epoch);
            final int payload = chunk.payloadOffset();
            for (int i = 0; i < count; i++)
            {
                buffer.putFloat(payload + i * Float.BYTES, params[first + i], GradientCodec.ORDER);
            }
            chunk.seal(payloadLength, crc32c);
            claim.commit();
        }
        return result;
    }

    public long offerStatus(final int worker, final int shard, final long appliedClock, final int laggard,
        final long laggardClock, final int rejected, final int rejectedFrom)
    {
        final long result = toClient[worker].tryClaim(ClockFlyweight.LENGTH, claim);
        if (result > 0)
        {
            clock.wrapForEncode(claim.buffer(), claim.offset(), MessageHeader.TYPE_SHARD_STATUS, rank)
                .clock(appliedClock)
                .shard(shard)
                .rank(laggard)
                .rankClock(laggardClock)
                .rejected(rejected)
                .rejectedFrom(rejectedFrom);
            claim.commit();
        }
        return result;
    }
}
