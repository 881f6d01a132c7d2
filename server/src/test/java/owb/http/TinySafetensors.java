package owb.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes small F32 safetensors files for tests: 8-byte LE header length, JSON header, data. */
final class TinySafetensors {

    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, float[]> values = new LinkedHashMap<>();

    TinySafetensors add(String name, long[] shape, float... data) {
        if (Arrays.stream(shape).reduce(1, (a, b) -> a * b) != data.length) {
            throw new IllegalArgumentException("shape does not match the data of " + name);
        }
        shapes.put(name, shape);
        values.put(name, data);
        return this;
    }

    Path write(Path file) throws IOException {
        return write(file, 0);
    }

    /** Writes the file, then cuts {@code truncateBytes} off its end (a broken checkpoint). */
    Path write(Path file, int truncateBytes) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long bytes = values.get(e.getKey()).length * 4L;
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(Arrays.toString(e.getValue()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        for (float[] v : values.values()) for (float f : v) buf.putFloat(f);
        Files.createDirectories(file.getParent());
        Files.write(file, Arrays.copyOf(buf.array(), buf.capacity() - truncateBytes));
        return file;
    }
}
