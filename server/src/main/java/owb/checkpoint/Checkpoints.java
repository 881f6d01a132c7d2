// STUB: replaced by the safetensors branch
package owb.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** STUB: a tiny F32-only safetensors reader (one file, or a folder with one .safetensors file). */
public final class Checkpoints {
    private Checkpoints() {}

    public static Checkpoint open(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? firstSafetensors(path) : path;
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            if (all.byteSize() < 8) throw new CheckpointException(file, 0, "file too short");
            long headerLength = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLength < 2 || headerLength > all.byteSize() - 8) {
                throw new CheckpointException(file, 0, "header length " + headerLength + " out of range");
            }
            byte[] json = all.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            JsonNode header;
            try {
                header = new ObjectMapper().readTree(new String(json, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CheckpointException(file, 8, "header is not JSON");
            }
            long dataStart = 8 + headerLength;
            List<TensorEntry> tensors = new ArrayList<>();
            Map<String, Object> metadata = new LinkedHashMap<>();
            for (var field : header.properties()) {
                JsonNode v = field.getValue();
                if (field.getKey().equals("__metadata__")) {
                    v.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                DType dtype = DType.fromSafetensors(v.path("dtype").asText()).orElseThrow(
                        () -> new CheckpointException(file, field.getKey(), -1, "unsupported dtype"));
                long[] shape = new long[v.path("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = v.path("shape").get(i).asLong();
                long begin = v.path("data_offsets").path(0).asLong(), end = v.path("data_offsets").path(1).asLong();
                if (begin < 0 || end < begin || dataStart + end > all.byteSize()) {
                    throw new CheckpointException(file, field.getKey(), dataStart + begin, "data outside the file");
                }
                tensors.add(new TensorEntry(field.getKey(), dtype, shape, file, dataStart + begin,
                        all.asSlice(dataStart + begin, end - begin)));
            }
            return new Checkpoint(Checkpoint.Format.SAFETENSORS, path, List.of(file), metadata, tensors, null, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Path firstSafetensors(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().findFirst()
                    .orElseThrow(() -> new CheckpointException(folder, "no .safetensors file"));
        }
    }

    /** Model paths under root: .gguf files and folders holding .safetensors files. */
    public static List<Path> discover(Path root, int maxDepth) throws IOException {
        Set<Path> found = new HashSet<>();
        try (Stream<Path> s = Files.walk(root, maxDepth)) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                if (n.endsWith(".gguf")) found.add(p);
                else if (n.endsWith(".safetensors")) found.add(p.getParent());
            });
        }
        return found.stream().sorted().toList();
    }
}
