package owb.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads safetensors files: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
 * describing the tensors, then the data section, every byte of which belongs to exactly one tensor.
 *
 * <p>Validation follows the reference parser (huggingface/safetensors, safetensors/src/tensor.rs:
 * {@code read_metadata} and {@code Metadata::validate}): file of at least 8 bytes, N at most
 * 100,000,000, header inside the file, valid UTF-8 and JSON; tensors sorted by data offsets must
 * tile the data section exactly (the first begins at 0, each begins where the previous ended, the
 * last ends at the end of the file) and each must hold exactly numel x dtype-size bytes, computed
 * without overflow. The header checks themselves are in {@link SafetensorsHeader}.
 *
 * <p>Stricter than the reference on purpose (SafetensorsReferenceTest pins the difference down):
 * duplicate keys and unknown fields in an entry are refused (serde keeps the last and ignores the
 * rest), dtypes owb does not read (U16, U32, U64, C64, ...) are refused by name, and so are
 * dimensions and offsets of 2^63 or more, which a long cannot hold and no real tensor has.
 *
 * <p>Files are mapped read-only; only the header is copied to the heap.
 */
public final class SafetensorsReader {

    /** The reference parser's MAX_HEADER_SIZE: larger headers are refused before being read. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Size of the header-length prefix. */
    static final int PREFIX_BYTES = 8;

    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsReader() {}

    /** Opens one .safetensors file on its own (no config.json). */
    public static Checkpoint open(Path file) throws IOException {
        return open(List.of(file), file, null);
    }

    /**
     * Opens one or more safetensors files as one checkpoint (a folder of shards without an
     * index); tensor names must be unique across them.
     *
     * @param shownAs what the user named (a file or folder)
     * @param config  the folder's config.json, or null
     */
    static Checkpoint open(List<Path> files, Path shownAs, Map<String, Object> config)
            throws IOException {
        Arena arena = Arena.ofShared();
        try {
            List<TensorEntry> tensors = new ArrayList<>();
            Map<String, Object> metadata = new LinkedHashMap<>();
            for (Path file : files) {
                SafetensorsFile mapped = map(file, arena);
                tensors.addAll(mapped.tensors());
                mapped.metadata().forEach(metadata::putIfAbsent);
            }
            return new Checkpoint(Checkpoint.Format.SAFETENSORS, shownAs, files, metadata, tensors,
                    config, arena);
        } catch (Throwable failure) {
            arena.close();
            throw failure;
        }
    }

    /** Maps one file read-only into {@code arena} and validates it. */
    static SafetensorsFile map(Path file, Arena arena) throws IOException {
        // A pipe or device would block or never end; only regular files (or links to them) are read.
        if (Files.exists(file) && !Files.isRegularFile(file)) throw new CheckpointException(file, "not a regular file");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < PREFIX_BYTES) throw tooShort(file, size);
            return parse(file, channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena));
        }
    }

    /**
     * Validates a whole safetensors file held in {@code contents} (mapped, or on the heap for
     * tests) and slices its tensors out of it, in the order of their data offsets.
     */
    static SafetensorsFile parse(Path file, MemorySegment contents) {
        long fileSize = contents.byteSize();
        if (fileSize < PREFIX_BYTES) throw tooShort(file, fileSize);
        long headerLength = contents.get(U64_LE, 0);
        // Unsigned in the format: a negative long is a length of at least 2^63.
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(file, 0, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
        }
        long dataStart = PREFIX_BYTES + headerLength;
        if (dataStart > fileSize) {
            throw new CheckpointException(file, 0, "header length " + headerLength
                    + " runs past the end of the file (" + fileSize + " bytes)");
        }
        byte[] json = contents.asSlice(PREFIX_BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
        SafetensorsHeader header = SafetensorsHeader.parse(file, json, PREFIX_BYTES);
        List<TensorEntry> tensors = slice(file, header.entries(), contents, dataStart);
        return new SafetensorsFile(file, headerLength, header.metadata(), tensors);
    }

    /**
     * Checks that the entries, sorted by their offsets, tile the data section exactly, and slices
     * each one's bytes.
     */
    private static List<TensorEntry> slice(Path file, List<SafetensorsHeader.Entry> entries,
                                           MemorySegment contents, long dataStart) {
        long dataLength = contents.byteSize() - dataStart;
        List<SafetensorsHeader.Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(SafetensorsHeader.Entry::begin)
                .thenComparingLong(SafetensorsHeader.Entry::end));
        List<TensorEntry> tensors = new ArrayList<>(byOffset.size());
        long expectedBegin = 0;
        for (SafetensorsHeader.Entry e : byOffset) {
            long at = absolute(dataStart, e.begin());
            String offsets = "data_offsets [" + e.begin() + ", " + e.end() + "]";
            if (e.end() < e.begin()) {
                throw new CheckpointException(file, e.name(), at, offsets + " end before they begin");
            }
            if (e.begin() < expectedBegin) {
                throw new CheckpointException(file, e.name(), at, offsets
                        + " overlap the previous tensor, which ends at " + expectedBegin);
            }
            if (e.begin() > expectedBegin) {
                throw new CheckpointException(file, e.name(), at, offsets + " leave a hole of "
                        + (e.begin() - expectedBegin) + " bytes after the previous tensor, which ends at "
                        + expectedBegin);
            }
            long byteSize = e.dtype().byteSize(elementCount(file, e));
            if (byteSize < 0) {
                throw new CheckpointException(file, e.name(), at, "shape " + shapeString(e)
                        + " of " + e.dtype() + " is too large: its byte size overflows 64 bits");
            }
            if (e.end() - e.begin() != byteSize) {
                throw new CheckpointException(file, e.name(), at, offsets + " span "
                        + (e.end() - e.begin()) + " bytes but shape " + shapeString(e) + " of "
                        + e.dtype() + " needs " + byteSize);
            }
            if (e.end() > dataLength) {
                throw new CheckpointException(file, e.name(), at, offsets
                        + " run past the end of the file (" + contents.byteSize() + " bytes,"
                        + " data section " + dataLength + "): truncated file");
            }
            tensors.add(new TensorEntry(e.name(), e.dtype(), e.shape(), file, at,
                    contents.asSlice(at, byteSize)));
            expectedBegin = e.end();
        }
        if (expectedBegin != dataLength) {
            throw new CheckpointException(file, dataStart + expectedBegin, (dataLength - expectedBegin)
                    + " trailing bytes after the last tensor are not covered by any tensor");
        }
        return tensors;
    }

    private static long elementCount(Path file, SafetensorsHeader.Entry e) {
        long n = 1;
        try {
            for (long d : e.shape()) n = Math.multiplyExact(n, d);
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(file, e.name(), e.fileOffset(), "shape " + shapeString(e)
                    + " has more elements than fit in 64 bits");
        }
        return n;
    }

    /** {@code dataStart + relative}, saturating: offsets in hostile headers may be near 2^63. */
    private static long absolute(long dataStart, long relative) {
        long sum = dataStart + relative;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static String shapeString(SafetensorsHeader.Entry e) {
        return Arrays.toString(e.shape());
    }

    private static CheckpointException tooShort(Path file, long size) {
        return new CheckpointException(file, 0, "file is " + size
                + " bytes, too short for the 8-byte header length");
    }
}
