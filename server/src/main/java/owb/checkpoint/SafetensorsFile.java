package owb.checkpoint;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One validated safetensors file.
 *
 * @param headerLength the N of the 8-byte prefix; tensor data starts at byte 8 + N
 * @param metadata     its {@code __metadata__}
 * @param tensors      in the order of their data offsets, with absolute file offsets
 */
record SafetensorsFile(Path file, long headerLength, Map<String, String> metadata,
                       List<TensorEntry> tensors) {}
