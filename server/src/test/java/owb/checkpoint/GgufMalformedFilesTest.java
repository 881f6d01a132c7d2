package owb.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static owb.checkpoint.GgufBytes.ARRAY;
import static owb.checkpoint.GgufBytes.BOOL;
import static owb.checkpoint.GgufBytes.F32;
import static owb.checkpoint.GgufBytes.Q4_0;
import static owb.checkpoint.GgufBytes.STRING;
import static owb.checkpoint.GgufBytes.UINT32;
import static owb.checkpoint.GgufBytes.UINT64;
import static owb.checkpoint.GgufBytes.UINT8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of broken GGUF files, each built by hand to break one rule. Every one must fail with a
 * CheckpointException naming the file, the tensor where one applies and the byte offset of the
 * bad field, and nothing else may escape.
 */
class GgufMalformedFilesTest {

    /** Bytes before the first metadata entry: magic, version, tensor_count, metadata_kv_count. */
    private static final int PREAMBLE = 24;

    record Case(String name, byte[] bytes, String tensor, long offset, String expected) {
        @Override
        public String toString() { return name; }
    }

    private static Case fails(String name, GgufBytes file, String tensor, long offset, String expected) {
        return new Case(name, file.build(), tensor, offset, expected);
    }

    private static Case fails(String name, byte[] bytes, String tensor, long offset, String expected) {
        return new Case(name, bytes, tensor, offset, expected);
    }

    private static GgufBytes valid() {
        return new GgufBytes().kvString("general.architecture", "llama").tensor("t", F32, 16);
    }

    private static byte[] cut(byte[] bytes, int length) { return Arrays.copyOf(bytes, length); }

    /** Nests {@code depth} single-element arrays around a u8. */
    private static GgufBytes nestedArrays(int depth) {
        return new GgufBytes().kv("deep", ARRAY, v -> {
            for (int i = 1; i < depth; i++) v.u32(ARRAY).u64(1);
            v.u32(UINT8).u64(1).u8(7);
        });
    }

    static Stream<Case> corpus() {
        long keyValueAt = PREAMBLE + 8 + 1 + 4; // after a one-letter key and its type
        byte[] good = valid().build();
        byte[] metadataOnly = new GgufBytes().kvString("general.architecture", "llama").build();
        int firstTensorDataAt = good.length - 64;
        long alignmentValueAt = PREAMBLE + 45 + 8 + 17 + 4; // after valid()'s architecture entry
        return Stream.of(
            fails("empty file", new byte[0], null, 0, "empty file"),
            fails("bad magic", new GgufBytes().magic("GGML"), null, 0, "not a GGUF file: it starts with 'GGML'"),
            fails("two bytes", new byte[] {'G', 'G'}, null, 0, "not a GGUF file"),
            fails("version 1", new GgufBytes().version(1), null, 4, "GGUF version 1 is not supported"),
            fails("version 99", new GgufBytes().version(99), null, 4, "unsupported GGUF version 99"),
            fails("big-endian version 3", new GgufBytes().version(0x0300_0000L), null, 4, "big-endian"),
            fails("truncated header", cut(good, 20), null, 16, "truncated: metadata_kv_count needs 8 bytes"),
            fails("truncated string value", cut(metadataOnly, PREAMBLE + 8 + 20 + 4 + 8 + 1), null, PREAMBLE + 8 + 20 + 4,
                    "value of 'general.architecture' claims 5 bytes but only 1 are left"),
            fails("truncated uint32 value", cut(new GgufBytes().kvU32("a", 5).build(), PREAMBLE + 13 + 2), null,
                    PREAMBLE + 13, "truncated: value of 'a' needs 4 bytes but the file ends after 2"),
            fails("huge tensor_count", new GgufBytes().tensorCount(1L << 40), null, 8,
                    "tensor_count 1099511627776 is more than"),
            fails("tensor_count 2^64-1", new GgufBytes().tensorCount(-1), null, 8, "tensor_count 18446744073709551615"),
            fails("huge kv_count", new GgufBytes().kvCount(1L << 40), null, 16, "metadata_kv_count 1099511627776"),
            fails("kv_count a little too big", new GgufBytes().kvString("a", "b".repeat(24)).kvCount(2), null,
                    PREAMBLE + 45, "truncated: length of key of metadata entry 1 needs 8 bytes but the file ends here"),
            fails("huge string length", new GgufBytes().kvRaw(k -> k.u64(1L << 40).bytes(new byte[16], false)), null, PREAMBLE,
                    "key of metadata entry 0 claims 1099511627776 bytes, over the 1 GiB limit"),
            fails("string past the end", new GgufBytes().kvRaw(k -> k.u64(1000).bytes(new byte[10], false)), null,
                    PREAMBLE, "claims 1000 bytes but only 10 are left"),
            fails("invalid UTF-8 key", new GgufBytes().kvRaw(k -> k.u64(2).u8(0xC3).u8(0x28).u32(UINT8).u8(0)), null,
                    PREAMBLE + 8, "key of metadata entry 0 is not valid UTF-8"),
            fails("empty key", new GgufBytes().kv("", UINT8, v -> v.u8(1)).kvU32("b", 1), null, PREAMBLE,
                    "metadata entry 0 has an empty key"),
            fails("duplicate key", new GgufBytes().kvU32("a", 1).kvU32("a", 2), null, PREAMBLE + 17,
                    "duplicate metadata key 'a'"),
            fails("unknown value type", new GgufBytes().kv("k", 13, v -> v.u8(0)), null, PREAMBLE + 9,
                    "metadata 'k' has unknown value type 13"),
            fails("unknown array element type", new GgufBytes().kv("k", ARRAY, v -> v.u32(99).u64(0)), null,
                    keyValueAt, "metadata 'k' has unknown value type 99"),
            fails("bool stored as 2", new GgufBytes().kv("k", BOOL, v -> v.u8(2)), null, keyValueAt,
                    "value of 'k' is a bool stored as 2; only 0 and 1 are valid"),
            fails("huge array count", new GgufBytes().kv("k", ARRAY, v -> v.u32(UINT8).u64(1L << 31)), null,
                    keyValueAt + 4, "claims an array of 2147483648 elements, over the 2^30 limit"),
            fails("array longer than the file", new GgufBytes().kv("k", ARRAY, v -> v.u32(UINT32).u64(1 << 20).u32(1)),
                    null, keyValueAt + 4, "claims an array of 1048576 uint32 values, more than the 4 bytes left"),
            fails("array of strings longer than the file",
                    new GgufBytes().kv("k", ARRAY, v -> v.u32(STRING).u64(1000).str("x")), null, keyValueAt + 4,
                    "claims an array of 1000 string values"),
            fails("nested array bomb by count",
                    new GgufBytes().kv("k", ARRAY, v -> v.u32(ARRAY).u64(1L << 29).u32(UINT8).u64(0)), null,
                    keyValueAt + 4, "claims an array of 536870912 array values"),
            fails("arrays nested 17 deep", nestedArrays(17), null, PREAMBLE + 8 + 4 + 4 + 16 * 12,
                    "metadata 'deep' nests arrays deeper than 16 levels"),
            fails("alignment 0", valid().kvU32("general.alignment", 0), null, alignmentValueAt,
                    "general.alignment is 0; it must be a nonzero power of two"),
            fails("alignment 3", valid().kvU32("general.alignment", 3), null, alignmentValueAt,
                    "general.alignment is 3; it must be a nonzero power of two"),
            fails("alignment as u64", new GgufBytes().kv("general.alignment", UINT64, v -> v.u64(32)), null,
                    PREAMBLE + 8 + 17, "general.alignment must be a uint32, not uint64"),
            fails("zero dimensions", new GgufBytes().tensorRaw(t -> t.str("t").u32(0).u32(F32).u64(0).bytes(new byte[16], false)), "t",
                    PREAMBLE + 9, "has 0 dimensions; GGUF allows 1 to 4"),
            fails("five dimensions", new GgufBytes().tensor("t", F32, 0, new byte[0], 1, 1, 1, 1, 1), "t",
                    PREAMBLE + 9, "has 5 dimensions; GGUF allows 1 to 4"),
            fails("dimension above 2^63", new GgufBytes().tensorAt("t", F32, 0, 4, -2), "t", PREAMBLE + 21,
                    "ne[1] is 18446744073709551614, beyond 2^63 - 1"),
            fails("element count overflow", new GgufBytes().tensorAt("t", F32, 0, 1L << 32, 1L << 32), "t",
                    PREAMBLE + 21, "element count of ne = [4294967296, 4294967296] overflows"),
            fails("byte size overflow", new GgufBytes().tensorAt("t", F32, 0, 1L << 62), "t", PREAMBLE + 21,
                    "byte size of 4611686018427387904 F32 values overflows"),
            fails("unknown type id", new GgufBytes().tensorAt("t", 99, 0, 4), "t", PREAMBLE + 21,
                    "unknown ggml type id 99"),
            fails("removed type id", new GgufBytes().tensorAt("t", 4, 0, 32), "t", PREAMBLE + 21,
                    "unknown ggml type id 4"),
            fails("unsupported IQ type", new GgufBytes().tensorAt("t", 16, 0, 256), "t", PREAMBLE + 21,
                    "unsupported tensor type IQ2_XXS (ggml type 16)"),
            fails("row not whole blocks", new GgufBytes().tensorAt("t", Q4_0, 0, 33, 2), "t", PREAMBLE + 29,
                    "rows of 33 Q4_0 values are not a whole number of 32-value blocks"),
            fails("offset not aligned", new GgufBytes().tensorAt("t", F32, 4, 4), "t", PREAMBLE + 25,
                    "data offset 4 is not a multiple of the alignment 32"),
            fails("offset past the end", new GgufBytes().tensor("t", F32, 1 << 20, new byte[0], 4), "t",
                    PREAMBLE + 25, "data offset 1048576 points past the end of the file"),
            fails("data past the end", new GgufBytes().tensor("t", F32, 0, new byte[8], 4), "t", 64,
                    "truncated: its 16 bytes of data run past the end of the file (72 bytes)"),
            fails("truncated tensor data", cut(good, good.length - 4), "t", firstTensorDataAt,
                    "truncated: its 64 bytes of data run past the end"),
            fails("data section past the end", cut(good, firstTensorDataAt - 4), null, -1,
                    "truncated: the tensor data section should start at byte " + firstTensorDataAt),
            fails("truncated tensor record", cut(good, 80), null, 78,
                    "truncated: dimension count of tensor 't'"),
            fails("overlapping tensors", new GgufBytes().tensor("a", F32, 0, new byte[64], 16)
                    .tensor("b", F32, 32, new byte[32], 8), "b", 128, "data overlaps tensor 'a' (bytes 96 to 160)"),
            fails("duplicate tensor names", new GgufBytes().tensor("t", F32, 4).tensor("t", F32, 4), "t",
                    PREAMBLE + 33, "duplicate tensor name"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void rejectsWithAMessageNamingFileTensorAndOffset(Case c, @TempDir Path tmp) throws IOException {
        Path file = tmp.resolve(c.name().replace(' ', '-') + ".gguf");
        Files.write(file, c.bytes());
        CheckpointException e = assertThrows(CheckpointException.class, () -> GgufReader.open(file).close());
        String message = e.getMessage();
        assertTrue(message.startsWith(file.toString() + ": "), message);
        assertTrue(message.contains(c.expected()), () -> "expected '" + c.expected() + "' in: " + message);
        assertEquals(file, e.file());
        assertEquals(c.tensor(), e.tensor(), message);
        if (c.tensor() != null) assertTrue(message.contains("tensor '" + c.tensor() + "'"), message);
        if (c.offset() >= 0) {
            assertEquals(c.offset(), e.offset(), message);
            assertTrue(message.contains("byte " + c.offset() + ": "), message);
        } else {
            assertTrue(e.offset() >= 0 && e.offset() <= c.bytes().length, message);
        }
        assertTrue(!message.contains("\n"), "one line");
    }
}
