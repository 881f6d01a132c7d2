package owb.http;

import java.nio.file.Path;

/**
 * A model found under one of the server's roots. {@code id} is the only name the API accepts for
 * it; {@code relativePath} uses '/' separators and is what clients see instead of a file path.
 *
 * @param format    "gguf" or "safetensors", judged from file names without opening anything
 * @param sizeBytes total size of the weight files (.gguf, .safetensors), each file counted once
 */
public record ModelInfo(String id, String name, Path root, Path path, String relativePath, String format,
                        long sizeBytes) {}
