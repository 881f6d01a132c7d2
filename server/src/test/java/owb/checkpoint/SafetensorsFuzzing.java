package owb.checkpoint;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** The property every fuzz input must keep: the parser accepts it, or throws CheckpointException. */
final class SafetensorsFuzzing {
    static final Path NAME = Path.of("fuzz.safetensors");

    private SafetensorsFuzzing() {}

    /**
     * Parses {@code content} as a whole file held on the heap. Returns whether it was accepted;
     * any exception other than CheckpointException propagates and fails the caller.
     */
    static boolean parses(byte[] content) {
        try {
            SafetensorsFile parsed = SafetensorsReader.parse(NAME, MemorySegment.ofArray(content));
            long covered = 0;
            for (TensorEntry t : parsed.tensors()) covered += t.byteSize();
            if (8 + parsed.headerLength() + covered != content.length) {
                throw new AssertionError("accepted tensors do not cover the data section exactly");
            }
            return true;
        } catch (CheckpointException expected) {
            return false;
        }
    }

    /** The in-memory path (the fuzzers' target) must reject what the file path rejects. */
    static void assertRejectsInMemory(Path file, byte[] content) {
        assertThrows(CheckpointException.class,
                () -> SafetensorsReader.parse(file, MemorySegment.ofArray(content)));
    }
}
