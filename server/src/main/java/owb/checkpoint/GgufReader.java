package owb.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Opens a GGUF file (versions 2 and 3, little-endian; spec: ggml docs/gguf.md). The header is
 * validated in full before anything trusts it, following the checks ggml's gguf.cpp gained after
 * the 2024-2026 parser CVEs: every read bounded by the file size, strings at most 1 GiB, arrays
 * at most 2^30 elements, counts bounded by the bytes left, no duplicate keys or tensor names,
 * 1 to 4 dimensions whose product does not overflow, known tensor types with whole blocks per
 * row, a power-of-two {@code general.alignment}, and tensor data aligned, inside the file and not
 * overlapping. Unlike gguf.cpp, gaps between tensors are allowed, nested arrays are read (at
 * most {@value #MAX_ARRAY_NESTING} deep), a tensor needs at least one dimension (gguf.cpp reads
 * zero as a scalar), and a header whose parsed values would take more heap than
 * {@link #HEADER_HEAP_BUDGET} is refused. Dimensions of zero are allowed, as in gguf.cpp.
 *
 * <p>Metadata values: every integer type becomes a {@link Long} (a uint64 above
 * {@code Long.MAX_VALUE} keeps its 64 bits and so reads as negative: use
 * {@link Long#toUnsignedString(long)}), float32 and float64 a {@link Double} (float32 widened
 * exactly), bool a {@link Boolean}, string a {@link String}, array an unmodifiable
 * {@link List} of such values. Metadata is data, never code: nothing here evaluates it.
 *
 * <p>Shapes are reported outermost-first, i.e. GGUF's {@code ne} reversed: a GGUF matrix with
 * {@code ne = [576, 49152]} (576 values per row) has shape {@code [49152, 576]}.
 */
public final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final long MAX_STRING_BYTES = 1L << 30;
    static final long MAX_ARRAY_ELEMENTS = 1L << 30;
    static final int MAX_ARRAY_NESTING = 16;
    static final int MAX_DIMS = 4;
    static final long DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";

    /**
     * Heap the parsed header (metadata values, tensor records) may take. Each value costs more
     * heap than file bytes, so a hostile file of many small strings or arrays could otherwise
     * exhaust memory while every count stays within the file size. Real headers (a 256k-token
     * vocabulary, merges, a few thousand tensors) need tens of MiB.
     */
    static final long HEADER_HEAP_BUDGET = Math.min(512L << 20, Runtime.getRuntime().maxMemory() / 4);

    // GGUF metadata value types (gguf.md, enum gguf_metadata_value_type)
    private static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5,
            FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;
    private static final String[] VALUE_TYPE_NAMES = {"uint8", "int8", "uint16", "int16", "uint32",
            "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"};

    // Smallest encodings, for bounding counts by the bytes left before reading what they count.
    private static final long MIN_KV_BYTES = 8 + 1 + 4 + 1;             // 1-byte key, 1-byte value
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8; // empty name, 1 dim
    private static final long MIN_ARRAY_VALUE_BYTES = 4 + 8;            // element type, count

    // Rough heap costs of parsed values (object header, fields, the list slot holding them).
    private static final long HEAP_PER_VALUE = 24;
    private static final long HEAP_PER_STRING = 56;
    private static final long HEAP_PER_LIST = 64;
    private static final long HEAP_PER_TENSOR = 320;

    private final Path file;
    private final MemorySegment mapped;
    private final HeaderCursor in;
    private long heapLeft = HEADER_HEAP_BUDGET;
    private long alignmentValueAt = -1;

    private GgufReader(Path file, MemorySegment mapped) {
        this.file = file;
        this.mapped = mapped;
        this.in = new HeaderCursor(mapped, file);
    }

    /**
     * Maps {@code file} read-only and parses its header. The returned checkpoint owns the mapping;
     * close it to unmap.
     *
     * @throws CheckpointException when the file is not a valid GGUF file
     * @throws IOException         when it cannot be opened or mapped
     */
    public static Checkpoint open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            return read(file, mapped, arena);
        } catch (Throwable failure) {
            arena.close();
            throw failure;
        }
    }

    /**
     * Parses a GGUF image already in memory (the mapped file, or bytes a test built). Tensors are
     * slices of {@code image}; the checkpoint closes {@code arena} when closed, but not on failure.
     */
    static Checkpoint read(Path file, MemorySegment image, Arena arena) {
        GgufReader reader = new GgufReader(file, image);
        reader.readPreamble();
        Counts counts = reader.readCounts();
        Map<String, Object> metadata = reader.readMetadata(counts.keyValues());
        long alignment = reader.alignment(metadata);
        List<TensorInfo> infos = reader.readTensorInfos(counts.tensors(), alignment);
        List<TensorEntry> tensors = reader.placeTensors(infos, alignment);
        return new Checkpoint(Checkpoint.Format.GGUF, file, List.of(file), metadata, tensors, null,
                arena);
    }

    private record Counts(long tensors, long keyValues) {}

    /** A tensor's header record; {@code offset} is relative to the data section. */
    private record TensorInfo(String name, DType dtype, long[] shape, long offset, long byteSize,
                              long offsetFieldAt) {}

    private void readPreamble() {
        if (in.size() == 0) throw in.error(0, "empty file, not a GGUF checkpoint");
        if (in.size() < 4 || in.i32("magic") != MAGIC) {
            throw in.error(0, "not a GGUF file: it starts with " + describeMagic() + ", not 'GGUF'");
        }
        long version = in.u32("version");
        if (version == 2 || version == 3) return;
        String problem;
        if (version == 1) {
            problem = "GGUF version 1 is not supported (it used 32-bit counts); convert the file"
                    + " with a current llama.cpp";
        } else if ((version & 0xFF_FFFF) == 0 && (version >>> 24) >= 2 && (version >>> 24) <= 3) {
            problem = "GGUF version field reads " + version + ": this looks like a big-endian file,"
                    + " which this reader does not support";
        } else {
            problem = "unsupported GGUF version " + version + " (this reader reads versions 2 and 3)";
        }
        throw in.error(4, problem);
    }

    private String describeMagic() {
        StringBuilder sb = new StringBuilder();
        long n = Math.min(4, in.size());
        for (long i = 0; i < n; i++) {
            int b = mapped.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            sb.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return "'" + sb + "'";
    }

    private Counts readCounts() {
        long tensorsAt = in.position();
        long tensors = in.i64("tensor_count");
        long keyValuesAt = in.position();
        long keyValues = in.i64("metadata_kv_count");
        long left = in.remaining();
        if (tensors < 0 || tensors > left / MIN_TENSOR_INFO_BYTES) {
            throw in.error(tensorsAt, "tensor_count " + Long.toUnsignedString(tensors)
                    + " is more than the " + left + " bytes left in the file could describe");
        }
        if (keyValues < 0 || keyValues > left / MIN_KV_BYTES
                || keyValues * MIN_KV_BYTES > left - tensors * MIN_TENSOR_INFO_BYTES) {
            throw in.error(keyValuesAt, "metadata_kv_count " + Long.toUnsignedString(keyValues)
                    + " is more than the " + left + " bytes left in the file could hold");
        }
        return new Counts(tensors, keyValues);
    }

    private Map<String, Object> readMetadata(long count) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            long keyAt = in.position();
            String key = readString("key of metadata entry " + i);
            if (key.isEmpty()) throw in.error(keyAt, "metadata entry " + i + " has an empty key");
            if (metadata.containsKey(key)) {
                throw in.error(keyAt, "duplicate metadata key '" + key + "'");
            }
            long typeAt = in.position();
            long type = in.u32("value type of '" + key + "'");
            if (key.equals(ALIGNMENT_KEY) && type != UINT32) {
                throw in.error(typeAt, ALIGNMENT_KEY + " must be a uint32, not "
                        + valueTypeName(type));
            }
            if (key.equals(ALIGNMENT_KEY)) alignmentValueAt = in.position();
            metadata.put(key, readValue(type, typeAt, key, "value of '" + key + "'", 0));
        }
        return metadata;
    }

    /** One value of {@code type}; {@code field} names it in errors. */
    private Object readValue(long type, long typeAt, String key, String field, int depth) {
        return switch (knownValueType(type, typeAt, key)) {
            case UINT8 -> (long) in.u8(field);
            case INT8 -> (long) in.i8(field);
            case UINT16 -> (long) in.u16(field);
            case INT16 -> (long) in.i16(field);
            case UINT32 -> in.u32(field);
            case INT32 -> (long) in.i32(field);
            case UINT64, INT64 -> in.i64(field);
            case FLOAT32 -> (double) in.f32(field);
            case FLOAT64 -> in.f64(field);
            case BOOL -> readBool(field);
            case STRING -> readString(field);
            case ARRAY -> readArray(key, field, depth + 1);
            default -> throw new AssertionError(type);
        };
    }

    private int knownValueType(long type, long typeAt, String key) {
        if (type < 0 || type >= VALUE_TYPE_NAMES.length) {
            throw in.error(typeAt, "metadata '" + key + "' has unknown value type " + type);
        }
        return (int) type;
    }

    private Boolean readBool(String field) {
        long at = in.position();
        int b = in.u8(field);
        if (b > 1) throw in.error(at, field + " is a bool stored as " + b + "; only 0 and 1 are valid");
        return b == 1;
    }

    private String readString(String field) {
        long lengthAt = in.position();
        long length = in.i64("length of " + field);
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw in.error(lengthAt, field + " claims " + Long.toUnsignedString(length)
                    + " bytes, over the 1 GiB limit for a string");
        }
        if (length > in.remaining()) {
            throw in.error(lengthAt, field + " claims " + length + " bytes but only "
                    + in.remaining() + " are left in the file");
        }
        charge(HEAP_PER_STRING + 2 * length, lengthAt, field);
        return in.utf8(length, field);
    }

    private List<Object> readArray(String key, String field, int depth) {
        long typeAt = in.position();
        if (depth > MAX_ARRAY_NESTING) {
            throw in.error(typeAt, "metadata '" + key + "' nests arrays deeper than "
                    + MAX_ARRAY_NESTING + " levels");
        }
        long elementType = in.u32("array element type of '" + key + "'");
        knownValueType(elementType, typeAt, key);
        long countAt = in.position();
        long count = in.i64("array length of '" + key + "'");
        if (count < 0 || count > MAX_ARRAY_ELEMENTS) {
            throw in.error(countAt, "metadata '" + key + "' claims an array of "
                    + Long.toUnsignedString(count) + " elements, over the 2^30 limit");
        }
        long minBytes = minEncodedBytes((int) elementType);
        if (count > in.remaining() / minBytes) {
            throw in.error(countAt, "metadata '" + key + "' claims an array of " + count + " "
                    + VALUE_TYPE_NAMES[(int) elementType] + " values, more than the "
                    + in.remaining() + " bytes left in the file could hold");
        }
        charge(HEAP_PER_LIST + count * 8, countAt, "metadata '" + key + "'");
        if (elementType != STRING && elementType != ARRAY) {
            charge(count * HEAP_PER_VALUE, countAt, "metadata '" + key + "'");
        }
        List<Object> values = new ArrayList<>((int) Math.min(count, 1024));
        for (long i = 0; i < count; i++) {
            values.add(readValue(elementType, typeAt, key, field, depth));
        }
        return Collections.unmodifiableList(values);
    }

    private static long minEncodedBytes(int type) {
        return switch (type) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64, STRING -> 8;
            case ARRAY -> MIN_ARRAY_VALUE_BYTES;
            default -> throw new AssertionError(type);
        };
    }

    private static String valueTypeName(long type) {
        return type >= 0 && type < VALUE_TYPE_NAMES.length
                ? VALUE_TYPE_NAMES[(int) type] : "unknown type " + type;
    }

    private long alignment(Map<String, Object> metadata) {
        Object value = metadata.get(ALIGNMENT_KEY);
        if (value == null) return DEFAULT_ALIGNMENT;
        long alignment = (Long) value; // a uint32: readMetadata checked the type
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
            throw in.error(alignmentValueAt, ALIGNMENT_KEY + " is " + alignment
                    + "; it must be a nonzero power of two");
        }
        return alignment;
    }

    private List<TensorInfo> readTensorInfos(long count, long alignment) {
        List<TensorInfo> infos = new ArrayList<>((int) Math.min(count, 1024));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < count; i++) {
            long infoAt = in.position();
            String name = readString("name of tensor " + i);
            if (!names.add(name)) throw in.error(name, infoAt, "duplicate tensor name");
            charge(HEAP_PER_TENSOR + 2L * name.length(), infoAt, "tensor '" + name + "'");

            long dimsAt = in.position();
            long dims = in.u32("dimension count of tensor '" + name + "'");
            if (dims < 1 || dims > MAX_DIMS) {
                throw in.error(name, dimsAt, "has " + dims + " dimensions; GGUF allows 1 to "
                        + MAX_DIMS);
            }
            long[] ne = new long[(int) dims];
            long elements = 1;
            for (int d = 0; d < ne.length; d++) {
                long neAt = in.position();
                ne[d] = in.i64("ne[" + d + "] of tensor '" + name + "'");
                if (ne[d] < 0) {
                    throw in.error(name, neAt, "ne[" + d + "] is "
                            + Long.toUnsignedString(ne[d]) + ", beyond 2^63 - 1");
                }
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException overflow) {
                    throw in.error(name, neAt, "element count of ne = " + Arrays.toString(ne)
                            + " overflows a 64-bit integer");
                }
            }

            long typeAt = in.position();
            long typeId = in.u32("type of tensor '" + name + "'");
            DType dtype = typeId <= Integer.MAX_VALUE
                    ? DType.fromGgmlType((int) typeId).orElse(null) : null;
            if (dtype == null) {
                String problem = GgmlTypes.name(typeId)
                        .map(known -> "unsupported tensor type " + known + " (ggml type " + typeId
                                + "); this reader decodes F32, F16, BF16, F64, I8-I64, Q4_0, Q4_1,"
                                + " Q5_0, Q5_1, Q8_0 and Q2_K-Q6_K")
                        .orElse("unknown ggml type id " + typeId);
                throw in.error(name, typeAt, problem);
            }
            if (ne[0] % dtype.blockElements() != 0) {
                throw in.error(name, typeAt, "rows of " + ne[0] + " " + dtype + " values are not"
                        + " a whole number of " + dtype.blockElements() + "-value blocks");
            }
            long byteSize = dtype.byteSize(elements);
            if (byteSize < 0) {
                throw in.error(name, typeAt, "byte size of " + elements + " " + dtype
                        + " values overflows a 64-bit integer");
            }

            long offsetAt = in.position();
            long offset = in.i64("data offset of tensor '" + name + "'");
            if (offset < 0 || offset % alignment != 0) {
                throw in.error(name, offsetAt, "data offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            infos.add(new TensorInfo(name, dtype, reversed(ne), offset, byteSize, offsetAt));
        }
        return infos;
    }

    private static long[] reversed(long[] ne) {
        long[] shape = new long[ne.length];
        for (int i = 0; i < ne.length; i++) shape[i] = ne[ne.length - 1 - i];
        return shape;
    }

    /** Checks every tensor's data lies in the file without overlap, and slices it out. */
    private List<TensorEntry> placeTensors(List<TensorInfo> infos, long alignment) {
        long headerEnd = in.position();
        long dataStart = (headerEnd + alignment - 1) / alignment * alignment;
        long fileSize = in.size();
        if (!infos.isEmpty() && dataStart > fileSize) {
            throw in.error(headerEnd, "truncated: the tensor data section should start at byte "
                    + dataStart + " but the file has " + fileSize + " bytes");
        }
        long room = fileSize - dataStart;
        for (TensorInfo t : infos) {
            if (t.offset() > room) {
                throw in.error(t.name(), t.offsetFieldAt(), "data offset " + t.offset()
                        + " points past the end of the file (the data section holds " + room
                        + " bytes)");
            }
            if (t.byteSize() > room - t.offset()) {
                throw in.error(t.name(), dataStart + t.offset(), "truncated: its " + t.byteSize()
                        + " bytes of data run past the end of the file (" + fileSize + " bytes)");
            }
        }
        checkNoOverlap(infos, dataStart);

        List<TensorEntry> tensors = new ArrayList<>(infos.size());
        for (TensorInfo t : infos) {
            long at = dataStart + t.offset();
            tensors.add(new TensorEntry(t.name(), t.dtype(), t.shape(), file, at,
                    mapped.asSlice(at, t.byteSize())));
        }
        return tensors;
    }

    private void checkNoOverlap(List<TensorInfo> infos, long dataStart) {
        List<TensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.removeIf(t -> t.byteSize() == 0);
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo previous = byOffset.get(i - 1);
            TensorInfo current = byOffset.get(i);
            long previousEnd = previous.offset() + previous.byteSize();
            if (current.offset() < previousEnd) {
                throw in.error(current.name(), dataStart + current.offset(),
                        "data overlaps tensor '" + previous.name() + "' (bytes "
                                + (dataStart + previous.offset()) + " to " + (dataStart + previousEnd)
                                + ")");
            }
        }
    }

    private void charge(long heapBytes, long at, String what) {
        heapLeft -= heapBytes;
        if (heapBytes < 0 || heapLeft < 0) {
            throw in.error(at, what + " would take the parsed header past "
                    + (HEADER_HEAP_BUDGET >> 20) + " MiB of memory; refusing to read it");
        }
    }
}
