package dev.sparkdl.codec;

import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C over a range of any {@link DirectBuffer}, without copying when the buffer exposes its memory. */
public final class Crc
{
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[4096]);

    private Crc()
    {
    }

    /** Add {@code buffer[offset, offset + length)} to {@code crc32c}. */
    public static void update(final CRC32C crc32c, final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            crc32c.update(array, buffer.wrapAdjustment() + offset, length);
            return;
        }
        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (null != byteBuffer)
        {
            final ByteBuffer view = byteBuffer.duplicate();
            view.clear();
            final int start = buffer.wrapAdjustment() + offset;
            view.limit(start + length).position(start);
            crc32c.update(view);
            return;
        }
        final byte[] scratch = SCRATCH.get();
        for (int done = 0; done < length; )
        {
            final int n = Math.min(scratch.length, length - done);
            buffer.getBytes(offset + done, scratch, 0, n);
            crc32c.update(scratch, 0, n);
            done += n;
        }
    }
}
