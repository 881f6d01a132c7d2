package owb.checkpoint;

import java.nio.file.Path;

/**
 * A checkpoint that cannot be read as it claims to be: truncated, malformed or hostile. The message
 * is one line naming the file and, where they apply, the tensor and the byte offset.
 */
public final class CheckpointException extends RuntimeException {
    private final Path file;
    private final String tensor;
    private final long offset;

    public CheckpointException(Path file, String tensor, long offset, String problem) {
        super(format(file, tensor, offset, problem));
        this.file = file;
        this.tensor = tensor;
        this.offset = offset;
    }

    public CheckpointException(Path file, long offset, String problem) {
        this(file, null, offset, problem);
    }

    public CheckpointException(Path file, String problem) {
        this(file, null, -1, problem);
    }

    public Path file() { return file; }

    /** The tensor concerned, or null. */
    public String tensor() { return tensor; }

    /** Byte offset in the file, or -1. */
    public long offset() { return offset; }

    private static String format(Path file, String tensor, long offset, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<unknown file>" : file.toString());
        if (tensor != null) sb.append(": tensor '").append(tensor).append('\'');
        if (offset >= 0) sb.append(tensor != null ? " at byte " : ": at byte ").append(offset);
        sb.append(": ").append(problem.replace('\n', ' '));
        return sb.toString();
    }
}
