package owb.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds GGUF files byte by byte for tests: a valid file by default, with every field the tests
 * break settable by hand. Dimensions are given in GGUF's {@code ne} order (innermost first).
 */
final class GgufBytes {
    static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5,
            FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;
    static final int F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8, Q4_K = 12, Q6_K = 14;

    /** A little-endian byte sink. */
    static final class Le {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Le u8(int v) { out.write(v); return this; }

        Le u16(int v) { return u8(v).u8(v >>> 8); }

        Le u32(long v) { return u16((int) v).u16((int) (v >>> 16)); }

        Le u64(long v) { return u32(v).u32(v >>> 32); }

        Le f32(float v) { return u32(Float.floatToRawIntBits(v)); }

        Le f64(double v) { return u64(Double.doubleToRawLongBits(v)); }

        Le str(String s) { return bytes(s.getBytes(StandardCharsets.UTF_8), true); }

        Le bytes(byte[] b, boolean withLength) {
            if (withLength) u64(b.length);
            out.writeBytes(b);
            return this;
        }

        int size() { return out.size(); }

        byte[] toByteArray() { return out.toByteArray(); }
    }

    private record Tensor(String name, int type, long[] ne, long offset, byte[] data) {}

    private String magic = "GGUF";
    private long version = 3;
    private Long tensorCount;
    private Long kvCount;
    private long alignment = 32;
    private final Le kvs = new Le();
    private int kvEntries;
    private final List<Tensor> tensors = new ArrayList<>();
    private final List<Consumer<Le>> rawTensorRecords = new ArrayList<>();
    private long nextOffset;

    GgufBytes magic(String magic) { this.magic = magic; return this; }

    GgufBytes version(long version) { this.version = version; return this; }

    /** Overrides the tensor_count field; by default it counts the tensors added. */
    GgufBytes tensorCount(long count) { this.tensorCount = count; return this; }

    /** Overrides the metadata_kv_count field; by default it counts the entries added. */
    GgufBytes kvCount(long count) { this.kvCount = count; return this; }

    /** The alignment the builder pads with; add the key with {@link #kvU32} to declare it. */
    GgufBytes alignment(long alignment) { this.alignment = alignment; return this; }

    GgufBytes kv(String key, int type, Consumer<Le> value) {
        kvs.str(key).u32(type);
        value.accept(kvs);
        kvEntries++;
        return this;
    }

    /** An entry written entirely by {@code entry}, key included. */
    GgufBytes kvRaw(Consumer<Le> entry) {
        entry.accept(kvs);
        kvEntries++;
        return this;
    }

    GgufBytes kvString(String key, String value) { return kv(key, STRING, v -> v.str(value)); }

    GgufBytes kvU32(String key, long value) { return kv(key, UINT32, v -> v.u32(value)); }

    /** A tensor whose zero-filled data follows the previous tensor's, aligned. */
    GgufBytes tensor(String name, int type, long... ne) {
        byte[] data = new byte[(int) byteSize(type, ne)];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 37 + 11);
        long offset = nextOffset;
        nextOffset = (offset + data.length + alignment - 1) / alignment * alignment;
        return tensor(name, type, offset, data, ne);
    }

    /** A tensor at {@code offset} in the data section, its data zero-filled. */
    GgufBytes tensorAt(String name, int type, long offset, long... ne) {
        return tensor(name, type, offset, new byte[0], ne);
    }

    GgufBytes tensor(String name, int type, long offset, byte[] data, long... ne) {
        tensors.add(new Tensor(name, type, ne.clone(), offset, data));
        return this;
    }

    /** A tensor record written entirely by {@code record}, with no data; counted in tensor_count. */
    GgufBytes tensorRaw(Consumer<Le> record) {
        rawTensorRecords.add(record);
        return this;
    }

    static long byteSize(int type, long... ne) {
        long n = 1;
        for (long d : ne) n *= d;
        DType dtype = DType.fromGgmlType(type).orElseThrow();
        return dtype.byteSize(n);
    }

    /** Magic, version, counts, metadata and tensor records: everything before the padding. */
    byte[] buildHeader() {
        Le out = new Le();
        out.bytes(magic.getBytes(StandardCharsets.ISO_8859_1), false);
        out.u32(version);
        out.u64(tensorCount != null ? tensorCount : tensors.size() + rawTensorRecords.size());
        out.u64(kvCount != null ? kvCount : kvEntries);
        out.bytes(kvs.toByteArray(), false);
        for (Tensor t : tensors) {
            out.str(t.name()).u32(t.ne().length);
            for (long d : t.ne()) out.u64(d);
            out.u32(t.type()).u64(t.offset());
        }
        for (Consumer<Le> record : rawTensorRecords) record.accept(out);
        return out.toByteArray();
    }

    /**
     * The whole file: header, padding to the alignment, then each tensor's data at its offset.
     * Tensors without data bytes do not extend the file.
     */
    byte[] build() {
        byte[] header = buildHeader();
        long dataStart = (header.length + alignment - 1) / alignment * alignment;
        long end = tensors.isEmpty() && rawTensorRecords.isEmpty() ? header.length : dataStart;
        for (Tensor t : tensors) {
            if (t.data().length > 0) end = Math.max(end, dataStart + t.offset() + t.data().length);
        }
        byte[] file = new byte[Math.toIntExact(end)];
        System.arraycopy(header, 0, file, 0, header.length);
        for (Tensor t : tensors) {
            if (t.data().length == 0) continue;
            System.arraycopy(t.data(), 0, file, (int) (dataStart + t.offset()), t.data().length);
        }
        return file;
    }
}
