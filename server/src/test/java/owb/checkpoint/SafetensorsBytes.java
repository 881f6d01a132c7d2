package owb.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Hand-built safetensors files for tests: a header length, header bytes and data bytes. */
final class SafetensorsBytes {
    private SafetensorsBytes() {}

    /** A file whose length prefix matches the header, followed by {@code dataBytes} zero bytes. */
    static byte[] file(String headerJson, int dataBytes) {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        return concat(lengthPrefix(header.length), header, new byte[dataBytes]);
    }

    /** A file with the given header bytes and data bytes. */
    static byte[] file(byte[] header, byte[] data) {
        return concat(lengthPrefix(header.length), header, data);
    }

    /** The 8-byte little-endian header length. */
    static byte[] lengthPrefix(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    /** Little-endian F32 bytes. */
    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) out.writeBytes(part);
        return out.toByteArray();
    }

    /** The absolute offset of relative data offset {@code relative} in a file with this header. */
    static long dataOffset(String headerJson, long relative) {
        return 8 + headerJson.getBytes(StandardCharsets.UTF_8).length + relative;
    }
}
