package owb.bench;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A synthetic checkpoint for the benchmark: {@code tensors} matrices of one dtype, about 64 MiB
 * each, of random weights (N(0, 0.02) for float types, random valid blocks for Q8_0 and Q4_K),
 * as safetensors for F32, F16 and BF16 and as a minimal GGUF v3 file for the quantized types.
 * The writer knows where every tensor lies, so the benchmark maps the file without a reader.
 */
record BenchFile(DType dtype, Path path, List<Layout> tensors) {

    /** Columns of every matrix: a multiple of every block size. */
    static final int COLUMNS = 4096;
    static final long TENSOR_BYTES = 64L << 20;

    /** One tensor: name, shape outermost-first, absolute byte offset and length in the file. */
    record Layout(String name, long[] shape, long offset, long bytes) {}

    static Path fileFor(Path dir, DType dtype) {
        String ext = dtype.quantized() ? ".gguf" : ".safetensors";
        return dir.resolve("bench-" + dtype.label().toLowerCase(java.util.Locale.ROOT) + ext);
    }

    /** Rows per tensor so that one holds at least 64 MiB. */
    static long rows(DType dtype) {
        long rowBytes = dtype.byteSize(COLUMNS);
        return (TENSOR_BYTES + rowBytes - 1) / rowBytes;
    }

    long fileBytes() throws IOException { return Files.size(path); }

    long tensorBytes() {
        long n = 0;
        for (Layout l : tensors) n += l.bytes;
        return n;
    }

    /** The file's tensors mapped read-only in {@code arena}, as a reader would present them; closing the checkpoint closes the arena. */
    Checkpoint map(Arena arena) throws IOException {
        MemorySegment all;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
        List<TensorEntry> entries = new ArrayList<>();
        for (Layout l : tensors) {
            entries.add(new TensorEntry(l.name, dtype, l.shape, path, l.offset, all.asSlice(l.offset, l.bytes)));
        }
        return new Checkpoint(dtype.quantized() ? Checkpoint.Format.GGUF : Checkpoint.Format.SAFETENSORS, path,
                List.of(path), Map.of(), entries, null, arena);
    }

    /**
     * The file for {@code dtype} with at least {@code minBytes} of tensor data in {@code dir},
     * written unless a file of the right size is already there.
     */
    static BenchFile ensure(Path dir, DType dtype, long minBytes, Consumer<String> log) throws IOException {
        int count = (int) Math.max(1, (minBytes + TENSOR_BYTES - 1) / TENSOR_BYTES); // each holds >= 64 MiB
        long rows = rows(dtype);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) names.add((dtype.quantized() ? "blk." + i + ".ffn_up.weight" : "layers." + i + ".mlp.weight"));
        Path path = fileFor(dir, dtype);
        Writer w = dtype.quantized() ? new GgufWriter(dtype, names, rows) : new SafetensorsWriter(dtype, names, rows);
        BenchFile file = new BenchFile(dtype, path, w.layout());
        if (Files.exists(path) && Files.size(path) == w.fileBytes()) return file;
        Files.createDirectories(dir);
        log.accept("writing " + path + " (" + count + " x " + dtype.label() + " [" + rows + ", " + COLUMNS + "])");
        Path partial = dir.resolve(path.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            w.write(ch, new SplittableRandom(dtype.ordinal() * 7919L + 1));
        }
        Files.move(partial, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /**
     * A fine-tune of a float safetensors benchmark file, for the diff benchmark: the same header
     * (names, shapes, offsets) and every value {@code w} replaced, in three of four elements chosen
     * by a hash of the element's index, by {@code w + 0.002 · u} with u uniform in [-1, 1) (then
     * rounded to the dtype): a dense update of about 6% of the weights' size (their sigma is 0.02)
     * that flips the sign of the smallest ones. Written next to {@code base} unless there.
     */
    static BenchFile ensureDerivative(BenchFile base, Consumer<String> log) throws IOException {
        if (base.dtype() != DType.F32 && base.dtype() != DType.BF16) {
            throw new IllegalArgumentException("no derivative for " + base.dtype() + " benchmark files");
        }
        String name = base.path().getFileName().toString().replace(".safetensors", ".derivative.safetensors");
        Path path = base.path().resolveSibling(name);
        BenchFile file = new BenchFile(base.dtype(), path, base.tensors());
        long size = Files.size(base.path());
        if (Files.exists(path) && Files.size(path) == size) return file;
        log.accept("writing " + path + " (the benchmark's fine-tune of " + base.path().getFileName() + ")");
        long dataStart = base.tensors().getFirst().offset();
        Path partial = path.resolveSibling(name + ".partial");
        try (FileChannel in = FileChannel.open(base.path(), StandardOpenOption.READ);
             FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate((int) dataStart);
            while (header.hasRemaining() && in.read(header, header.position()) > 0) { /* fills the header */ }
            header.flip();
            while (header.hasRemaining()) out.write(header);
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 24).order(ByteOrder.LITTLE_ENDIAN);
            long element = 0;
            for (long at = dataStart; at < size; ) {
                buffer.clear();
                int read = in.read(buffer, at);
                if (read <= 0) throw new IOException(base.path() + ": short read at byte " + at);
                at += read;
                buffer.flip();
                if (base.dtype() == DType.F32) {
                    for (int i = 0; i + 4 <= buffer.limit(); i += 4) buffer.putFloat(i, fineTuned(buffer.getFloat(i), element++));
                } else {
                    for (int i = 0; i + 2 <= buffer.limit(); i += 2) {
                        float w = Float.intBitsToFloat(buffer.getShort(i) << 16);
                        int bits = Float.floatToRawIntBits(fineTuned(w, element++));
                        buffer.putShort(i, (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16)); // round to nearest even
                    }
                }
                while (buffer.hasRemaining()) out.write(buffer);
            }
        }
        Files.move(partial, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /** Element {@code i} of the benchmark's fine-tune (see {@link #ensureDerivative}). */
    private static float fineTuned(float w, long i) {
        long h = i * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        if ((h & 3) == 0) return w;
        double u = (h >>> 11) * 0x1.0p-53 * 2 - 1;
        return (float) (w + 0.002 * u);
    }

    /** Header plus tensor data for one format. */
    private abstract static class Writer {
        final DType dtype;
        final List<String> names;
        final long rows;
        final long tensorBytes;

        Writer(DType dtype, List<String> names, long rows) {
            this.dtype = dtype;
            this.names = names;
            this.rows = rows;
            this.tensorBytes = dtype.byteSize(rows * COLUMNS);
        }

        abstract byte[] header();

        /** Offset of the first tensor's data; tensors follow each other without gaps. */
        abstract long dataStart();

        long fileBytes() { return dataStart() + names.size() * tensorBytes; }

        List<Layout> layout() {
            List<Layout> out = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                out.add(new Layout(names.get(i), new long[] {rows, COLUMNS}, dataStart() + i * tensorBytes, tensorBytes));
            }
            return out;
        }

        void write(FileChannel ch, SplittableRandom random) throws IOException {
            ByteBuffer header = ByteBuffer.wrap(header());
            while (header.hasRemaining()) ch.write(header);
            ch.position(dataStart());
            ByteBuffer buffer = ByteBuffer.allocateDirect(dtype.blockBytes() * 65536).order(ByteOrder.LITTLE_ENDIAN);
            long blocks = names.size() * (tensorBytes / dtype.blockBytes());
            for (long b = 0; b < blocks; b++) {
                if (!buffer.hasRemaining()) flush(ch, buffer);
                Blocks.put(dtype, buffer, random);
            }
            flush(ch, buffer);
        }

        private static void flush(FileChannel ch, ByteBuffer buffer) throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) ch.write(buffer);
            buffer.clear();
        }
    }

    /** safetensors: u64 header length, JSON header padded to 8 bytes, data. */
    private static final class SafetensorsWriter extends Writer {
        private final byte[] header;

        SafetensorsWriter(DType dtype, List<String> names, long rows) {
            super(dtype, names, rows);
            StringBuilder json = new StringBuilder("{");
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) json.append(',');
                json.append('"').append(names.get(i)).append("\":{\"dtype\":\"").append(dtype.label())
                        .append("\",\"shape\":[").append(rows).append(',').append(COLUMNS)
                        .append("],\"data_offsets\":[").append(i * tensorBytes).append(',').append((i + 1) * tensorBytes).append("]}");
            }
            json.append('}');
            while ((json.length() + 8) % 8 != 0) json.append(' ');
            byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
            header = ByteBuffer.allocate(8 + text.length).order(ByteOrder.LITTLE_ENDIAN).putLong(text.length).put(text).array();
        }

        @Override byte[] header() { return header; }

        @Override long dataStart() { return header.length; }
    }

    /** GGUF v3 (ggml docs/gguf.md): magic, version, counts, one key, tensor infos, data aligned to 32. */
    private static final class GgufWriter extends Writer {
        private static final int ALIGNMENT = 32;
        private final byte[] header;

        GgufWriter(DType dtype, List<String> names, long rows) {
            super(dtype, names, rows);
            ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(names.size()).putLong(1);
            putString(b, "general.architecture");
            b.putInt(8); // GGUF_TYPE_STRING
            putString(b, "owb-bench");
            for (int i = 0; i < names.size(); i++) {
                putString(b, names.get(i));
                b.putInt(2).putLong(COLUMNS).putLong(rows); // ne[0] innermost
                b.putInt(dtype.ggmlType()).putLong(i * tensorBytes);
            }
            while (b.position() % ALIGNMENT != 0) b.put((byte) 0);
            header = java.util.Arrays.copyOf(b.array(), b.position());
        }

        private static void putString(ByteBuffer b, String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            b.putLong(bytes.length).put(bytes);
        }

        @Override byte[] header() { return header; }

        @Override long dataStart() { return header.length; }
    }

    /** One random block of each dtype, as a trained layer's weights might look. */
    private static final class Blocks {
        private static final double SIGMA = 0.02;

        static void put(DType dtype, ByteBuffer b, SplittableRandom r) {
            switch (dtype) {
                case F32 -> b.putFloat((float) (r.nextGaussian() * SIGMA));
                case F16 -> b.putShort(Float.floatToFloat16((float) (r.nextGaussian() * SIGMA)));
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits((float) (r.nextGaussian() * SIGMA)) >>> 16));
                case Q8_0 -> {
                    // ggml block_q8_0: f16 scale d, 32 x int8; value = d * q
                    b.putShort(Float.floatToFloat16((float) (3 * SIGMA / 127)));
                    for (int i = 0; i < 32; i++) b.put((byte) Math.clamp(Math.round(r.nextGaussian() * 42), -127, 127));
                }
                case Q4_K -> {
                    // ggml block_q4_K: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
                    b.putShort(Float.floatToFloat16((float) (SIGMA / 16)));
                    b.putShort(Float.floatToFloat16((float) (SIGMA / 8)));
                    for (int i = 0; i < 12; i++) b.put((byte) r.nextInt(256));
                    for (int i = 0; i < 128; i++) b.put((byte) r.nextInt(256));
                }
                default -> throw new IllegalArgumentException("no benchmark data for " + dtype);
            }
        }
    }
}
