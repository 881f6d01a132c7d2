package owb.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.tensor.TensorReader;
import owb.testing.GgufFixtures;
import owb.testing.NpyFile;

class GgufReaderTest {

    private static Path fixture(String name) { return GgufFixtures.ggufFolder().resolve(name); }

    @Test
    void readsEveryMetadataValueType() throws IOException {
        try (Checkpoint c = GgufReader.open(fixture("all_types.gguf"))) {
            Map<String, Object> m = c.metadata();
            assertEquals(Checkpoint.Format.GGUF, c.format());
            assertEquals("llama", m.get("general.architecture"));
            assertEquals(200L, m.get("test.u8"));
            assertEquals(-100L, m.get("test.i8"));
            assertEquals(60000L, m.get("test.u16"));
            assertEquals(-30000L, m.get("test.i16"));
            assertEquals(4_000_000_000L, m.get("test.u32"));
            assertEquals(-2_000_000_000L, m.get("test.i32"));
            assertEquals((double) 0.1f, m.get("test.f32"), "float32 widens exactly");
            assertEquals(true, m.get("test.bool.true"));
            assertEquals(false, m.get("test.bool.false"));
            assertEquals("h\u00e9llo, \u4e16\u754c \uD83C\uDF0D", m.get("test.string"));
            assertEquals("", m.get("test.string.empty"));
            assertEquals(-1L, m.get("test.u64.max"), "u64 2^64-1 keeps its bits");
            assertEquals(Long.MIN_VALUE, m.get("test.i64.min"));
            assertEquals(-1.5e300, m.get("test.f64"));

            assertEquals(List.of(0L, 1L, 255L), m.get("test.array.u8"));
            assertEquals(List.of(-128L, 0L, 127L), m.get("test.array.i8"));
            assertEquals(List.of(0L, 65535L), m.get("test.array.u16"));
            assertEquals(List.of(-32768L, 32767L), m.get("test.array.i16"));
            assertEquals(List.of(0L, 4294967295L), m.get("test.array.u32"));
            assertEquals(List.of(-2147483648L, 2147483647L), m.get("test.array.i32"));
            assertEquals(List.of(0L, Long.MIN_VALUE), m.get("test.array.u64"), "2^63 as u64 bits");
            assertEquals(List.of(Long.MIN_VALUE, Long.MAX_VALUE), m.get("test.array.i64"));
            assertEquals(List.of(0.5, -2.25), m.get("test.array.f32"));
            assertEquals(List.of(0.1, 1e-300), m.get("test.array.f64"));
            assertEquals(List.of(true, false, true), m.get("test.array.bool"));
            assertEquals(List.of("a", "", "\u00fcber"), m.get("test.array.string"));
            assertEquals(List.of(List.of(1L, 2L), List.of(3L), List.of(4L, 5L, 6L)),
                    m.get("test.array.nested"));
            assertEquals(List.of(List.of(List.of("a"), List.of("b", "c")), List.of(List.of("d"))),
                    m.get("test.array.nested3"));
        }
    }

    @Test
    void listsTensorsInFileOrderWithShapesOutermostFirst() throws IOException {
        try (Checkpoint c = GgufReader.open(fixture("all_types.gguf"))) {
            String summary = c.tensors().stream().map(TensorEntry::toString)
                    .collect(Collectors.joining("\n"));
            assertEquals("""
                    f32.special F32 [4, 8]
                    f16.all_bits F16 [256, 256]
                    bf16.all_bits BF16 [256, 256]
                    f64.values F64 [3, 5]
                    i8.range I8 [256]
                    i16.values I16 [2, 3, 4]
                    i32.values I32 [2, 2, 1, 2]
                    i64.values I64 [7]
                    q4_0.random Q4_0 [8, 256]
                    q4_1.random Q4_1 [2, 4, 128]
                    q5_0.random Q5_0 [8, 256]
                    q5_1.random Q5_1 [8, 256]
                    q8_0.random Q8_0 [8, 256]
                    q2_k.random Q2_K [4, 2048]
                    q3_k.random Q3_K [4, 2048]
                    q4_k.random Q4_K [4, 2048]
                    q5_k.random Q5_K [2048]
                    q6_k.random Q6_K [4, 2048]""", summary);
            for (TensorEntry t : c.tensors()) {
                assertEquals(t.dtype().byteSize(t.numel()), t.byteSize(), t.name());
                assertEquals(0, t.fileOffset() % 32, t.name() + " is aligned");
                assertTrue(t.data().isReadOnly(), t.name() + " is mapped read-only");
            }
        }
    }

    @Test
    void everyTensorMatchesTheReferenceDecodingBitForBit() throws IOException {
        Path expected = fixture("expected/all_types");
        try (Checkpoint c = GgufReader.open(fixture("all_types.gguf"))) {
            for (TensorEntry t : c.tensors()) {
                NpyFile reference = NpyFile.read(expected.resolve(t.name() + ".npy"));
                assertArrayEquals(reference.shape(), t.shape(), t.name());
                assertBitwiseEqual(reference.values(), TensorReader.readAll(t), t.name());
            }
        }
    }

    @Test
    void readsVersion2LikeVersion3() throws IOException {
        try (Checkpoint v3 = GgufReader.open(fixture("all_types.gguf"));
             Checkpoint v2 = GgufReader.open(fixture("all_types.v2.gguf"))) {
            assertEquals(v3.metadata(), v2.metadata());
            assertEquals(v3.tensors().stream().map(t -> t + "@" + t.fileOffset()).toList(),
                    v2.tensors().stream().map(t -> t + "@" + t.fileOffset()).toList());
        }
    }

    @Test
    void honoursACustomAlignment() throws IOException {
        try (Checkpoint c = GgufReader.open(fixture("aligned64.gguf"))) {
            assertEquals(64L, c.metadata().get("general.alignment"));
            assertEquals("gpt2", c.metadata().get("general.architecture"));
            for (TensorEntry t : c.tensors()) {
                assertEquals(0, t.fileOffset() % 64, t.name());
                NpyFile reference = NpyFile.read(fixture("expected/aligned64/" + t.name() + ".npy"));
                assertBitwiseEqual(reference.values(), TensorReader.readAll(t), t.name());
            }
        }
    }

    @Test
    void opensTheReleasedSmolLM2Checkpoint() throws IOException {
        try (Checkpoint c = GgufReader.open(GgufFixtures.smollm2())) {
            assertEquals(272, c.tensorCount());
            assertEquals(33, c.metadata().size());
            assertEquals("llama", c.metadata().get("general.architecture"));
            assertEquals(30L, c.metadata().get("llama.block_count"));
            assertEquals(49152, ((List<?>) c.metadata().get("tokenizer.ggml.tokens")).size());

            TensorEntry embedding = c.tensor("token_embd.weight").orElseThrow();
            assertEquals(DType.Q8_0, embedding.dtype());
            assertArrayEquals(new long[] {49152, 576}, embedding.shape());
            TensorEntry down = c.tensor("blk.0.ffn_down.weight").orElseThrow();
            assertEquals(DType.Q4_1, down.dtype());
            assertArrayEquals(new long[] {576, 1536}, down.shape());

            Map<DType, Long> types = c.tensors().stream()
                    .collect(Collectors.groupingBy(TensorEntry::dtype, Collectors.counting()));
            assertEquals(Map.of(DType.Q4_1, 210L, DType.F32, 61L, DType.Q8_0, 1L), types);
            assertEquals(134_515_008L, c.parameterCount());
        }
    }

    @Test
    void smolLM2Q41TensorEqualsGgufPyDequantization(@TempDir Path tmp) throws IOException {
        Path model = GgufFixtures.smollm2();
        String name = "blk.0.attn_q.weight";
        Path npy = tmp.resolve("reference.npy");
        GgufFixtures.run(List.of(GgufFixtures.python(), "-c", """
                import sys, numpy as np
                from gguf import GGUFReader
                from gguf.quants import dequantize
                t = next(t for t in GGUFReader(sys.argv[1]).tensors if t.name == sys.argv[2])
                np.save(sys.argv[3], dequantize(t.data, t.tensor_type).astype(np.float32))
                """, model.toString(), name, npy.toString()));
        NpyFile reference = NpyFile.read(npy);
        try (Checkpoint c = GgufReader.open(model)) {
            TensorEntry t = c.tensor(name).orElseThrow();
            assertEquals(DType.Q4_1, t.dtype());
            assertArrayEquals(reference.shape(), t.shape());
            float[] values = TensorReader.readAll(t);
            for (float v : values) assertTrue(Float.isFinite(v), "finite");
            assertBitwiseEqual(reference.values(), values, name);
        }
    }

    @Test
    void everySmolLM2TensorDecodesToFiniteValues() throws IOException {
        try (Checkpoint c = GgufReader.open(GgufFixtures.smollm2())) {
            float[] buffer = new float[1 << 20];
            for (TensorEntry t : c.tensors()) {
                for (long first = 0; first < t.numel(); first += buffer.length) {
                    int count = (int) Math.min(buffer.length, t.numel() - first);
                    TensorReader.readFloats(t, first, count, buffer, 0);
                    for (int i = 0; i < count; i++) {
                        if (!Float.isFinite(buffer[i])) {
                            throw new AssertionError(t.name() + " element " + (first + i) + " is "
                                    + buffer[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void readsTensorDataBeyondFourGiB(@TempDir Path tmp) throws IOException {
        long dataOffset = (4L << 30) + 4096; // relative to the data section: past 2 and 4 GiB
        byte[] header = new GgufBytes()
                .kvString("general.architecture", "test")
                .tensorAt("far.away", 0 /* F32 */, dataOffset, 8)
                .buildHeader();
        long dataStart = (header.length + 31) / 32 * 32;
        float[] values = {1.5f, -2.25f, Float.MIN_VALUE, 1e30f, 0f, -0f, 7f, 42.125f};

        Path file = tmp.resolve("sparse.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + dataOffset + 4L * values.length + 1024);
            raf.write(header);
            raf.seek(dataStart + dataOffset);
            for (float v : values) raf.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(v)));
        }
        assertTrue(Files.size(file) > (5L << 30) - (1L << 30));

        try (Checkpoint c = GgufReader.open(file)) {
            TensorEntry t = c.tensor("far.away").orElseThrow();
            assertEquals(dataStart + dataOffset, t.fileOffset());
            assertBitwiseEqual(values, TensorReader.readAll(t), t.name());
            float[] tail = new float[3];
            TensorReader.readFloats(t, 5, 3, tail, 0);
            assertBitwiseEqual(new float[] {-0f, 7f, 42.125f}, tail, "tail");
        }
    }

    @Test
    void aFileWithNoTensorsNeedsNoDataSection(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("metadata-only.gguf");
        Files.write(file, new GgufBytes().kvString("general.architecture", "llama").build());
        try (Checkpoint c = GgufReader.open(file)) {
            assertEquals(0, c.tensorCount());
            assertEquals(Map.of("general.architecture", "llama"), c.metadata());
            assertFalse(c.config().isPresent());
        }
    }

    @Test
    void acceptsAnEmptyArrayAndAZeroSizedTensor(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("edge.gguf");
        Files.write(file, new GgufBytes()
                .kv("empty", GgufBytes.ARRAY, v -> v.u32(GgufBytes.STRING).u64(0))
                .tensor("nothing", 0, 0, 3)
                .tensor("something", 1, 4)
                .build());
        try (Checkpoint c = GgufReader.open(file)) {
            assertEquals(List.of(), c.metadata().get("empty"));
            assertEquals(0, c.tensor("nothing").orElseThrow().byteSize());
            assertArrayEquals(new long[] {3, 0}, c.tensor("nothing").orElseThrow().shape());
            assertEquals(8, c.tensor("something").orElseThrow().byteSize());
        }
    }

    @Test
    void keepsAnEncodedReplacementCharacterAndRefusesMalformedUtf8InAnArray(@TempDir Path tmp) throws IOException {
        Path good = tmp.resolve("fffd.gguf");
        Files.write(good, new GgufBytes().kvString("s", "a\uFFFDb").kvString("long", "\u00e9".repeat(3000)).build());
        try (Checkpoint c = GgufReader.open(good)) {
            assertEquals("a\uFFFDb", c.metadata().get("s"), "U+FFFD written as EF BF BD is text, not an error");
            assertEquals("\u00e9".repeat(3000), c.metadata().get("long"), "6000 bytes, past the copy buffer");
        }
        Path bad = tmp.resolve("bad.gguf");
        Files.write(bad, new GgufBytes()
                .kv("tokens", GgufBytes.ARRAY, v -> v.u32(GgufBytes.STRING).u64(2).u64(1).u8('a').u64(2).u8(0xC3).u8(0x28))
                .build());
        CheckpointException e = assertThrows(CheckpointException.class, () -> GgufReader.open(bad));
        assertTrue(e.getMessage().contains("is not valid UTF-8"), e.getMessage());
    }

    @Test
    void readsArraysNestedSixteenDeep(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("nested.gguf");
        Files.write(file, new GgufBytes().kv("deep", GgufBytes.ARRAY, v -> {
            for (int level = 1; level < GgufReader.MAX_ARRAY_NESTING; level++) v.u32(GgufBytes.ARRAY).u64(1);
            v.u32(GgufBytes.UINT8).u64(1).u8(7);
        }).build());
        try (Checkpoint c = GgufReader.open(file)) {
            Object value = c.metadata().get("deep");
            for (int level = 0; level < GgufReader.MAX_ARRAY_NESTING; level++) value = ((List<?>) value).get(0);
            assertEquals(7L, value);
        }
    }

    @Test
    void refusesAHeaderThatWouldExhaustMemory(@TempDir Path tmp) throws IOException {
        // 2^25 uint8 values fit in 32 MiB of file but would take ~1 GiB of heap as a List<Long>.
        long count = 1L << 25;
        byte[] header = new GgufBytes()
                .kv("bomb", GgufBytes.ARRAY, v -> v.u32(GgufBytes.UINT8).u64(count))
                .buildHeader();
        Path file = tmp.resolve("bomb.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(header.length + count);
            raf.write(header);
        }
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> GgufReader.open(file).close());
        assertTrue(e.getMessage().contains("metadata 'bomb' would take the parsed header past"), e.getMessage());
        assertEquals(header.length - 8, e.offset(), "at the array's length field");
    }

    static void assertBitwiseEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + "), expected "
                        + expected[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected[i]))
                        + ")");
            }
        }
    }
}
