package owb.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static owb.checkpoint.SafetensorsBytes.dataOffset;
import static owb.checkpoint.SafetensorsBytes.file;
import static owb.checkpoint.SafetensorsBytes.lengthPrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broken and hostile files, one per way the reference parser (and our stricter rules) reject them.
 * Each must fail with a CheckpointException that names the file, and the tensor and byte offset
 * where they apply, never with another exception.
 */
class SafetensorsCorruptionTest {

    @TempDir
    Path dir;

    private static final String A_F32_2 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @Test
    void emptyFile() throws Exception {
        CheckpointException e = rejects("empty", new byte[0]);
        assertEquals(0, e.offset());
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void sevenBytes() throws Exception {
        rejects("seven", new byte[7]);
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws Exception {
        CheckpointException e = rejects("past-end", SafetensorsBytes.concat(lengthPrefix(100), "{}".getBytes()));
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
    }

    @Test
    void headerLengthNear2To63() throws Exception {
        CheckpointException e = rejects("huge-length", SafetensorsBytes.concat(lengthPrefix(-16), "{}".getBytes()));
        assertTrue(e.getMessage().contains("18446744073709551600"), "as unsigned: " + e.getMessage());
    }

    @Test
    void headerLengthAbove100MB() throws Exception {
        CheckpointException e = rejects("100mb", SafetensorsBytes.concat(lengthPrefix(100_000_001), "{}".getBytes()));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @Test
    void headerLengthZero() throws Exception {
        rejects("zero-length", lengthPrefix(0));
    }

    @Test
    void invalidUtf8() throws Exception {
        byte[] header = "{\"a\u0000\":{}}".getBytes();
        header[3] = (byte) 0xC0; // an overlong encoding's lead byte: never valid UTF-8
        CheckpointException e = rejects("utf8", file(header, new byte[0]));
        assertEquals(8 + 3, e.offset());
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void utf16SurrogateEncodedAsUtf8() throws Exception {
        byte[] header = "{\"a   \":{}}".getBytes();
        header[3] = (byte) 0xED; // U+D800 as CESU-8: Rust's from_utf8 refuses it, and so do we
        header[4] = (byte) 0xA0;
        header[5] = (byte) 0x80;
        assertEquals(8 + 3, rejects("surrogate", file(header, new byte[0])).offset());
    }

    @Test
    void utf16Header() throws Exception {
        // "{}" in UTF-16LE: Jackson alone would detect the encoding and accept it; serde_json does not
        byte[] header = {'{', 0, '}', 0};
        assertEquals(8 + 1, rejects("utf16", file(header, new byte[0])).offset());
    }

    @Test
    void byteOrderMark() throws Exception {
        byte[] header = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
        CheckpointException e = rejects("bom", file(header, new byte[0]));
        assertTrue(e.getMessage().contains("byte order mark"), e.getMessage());
    }

    @Test
    void loneSurrogateEscapeInATensorName() throws Exception {
        rejects("lone-surrogate", file("{\"a\\ud800\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0));
    }

    @Test
    void invalidJson() throws Exception {
        CheckpointException e = rejects("json", file("{\"a\": ", 0));
        assertTrue(e.getMessage().contains("invalid JSON"), e.getMessage());
    }

    @Test
    void jsonArrayInsteadOfObject() throws Exception {
        CheckpointException e = rejects("array", file("[]", 0));
        assertTrue(e.getMessage().contains("not a JSON object"), e.getMessage());
    }

    @Test
    void contentAfterTheHeaderObject() throws Exception {
        rejects("trailing-json", file("{} {}", 0));
    }

    @Test
    void entryThatIsNotAnObject() throws Exception {
        rejectsTensor("entry-string", file("{\"a\":\"F32\"}", 0), "a");
    }

    @Test
    void entryMissingDtype() throws Exception {
        String header = "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}";
        CheckpointException e = rejectsTensor("no-dtype", file(header, 8), "a");
        assertTrue(e.getMessage().contains("no dtype"), e.getMessage());
        assertEquals(8 + 1, e.offset(), "at the entry's key");
    }

    @Test
    void entryMissingShape() throws Exception {
        rejectsTensor("no-shape", file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "a");
    }

    @Test
    void entryMissingOffsets() throws Exception {
        rejectsTensor("no-offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "a");
    }

    @Test
    void entryWithAnUnknownField() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}";
        rejectsTensor("extra-field", file(header, 8), "a");
    }

    @Test
    void unknownDtypeIsNamed() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}";
        CheckpointException e = rejectsTensor("dtype", file(header, 1), "a");
        assertTrue(e.getMessage().contains("'F4'"), e.getMessage());
    }

    @Test
    void negativeDimension() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
        rejectsTensor("negative", file(header, 4), "a");
    }

    @Test
    void negativeZeroDimension() throws Exception {
        // serde_json reads -0 as a float, never as a usize
        String header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[-0],\"data_offsets\":[0,0]}}";
        rejectsTensor("negative-zero", file(header, 0), "a");
    }

    @Test
    void nonIntegerDimension() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}";
        CheckpointException e = rejectsTensor("fraction", file(header, 8), "a");
        assertTrue(e.getMessage().contains("2.5"), e.getMessage());
    }

    @Test
    void dimensionAsString() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}";
        rejectsTensor("string-dim", file(header, 8), "a");
    }

    @Test
    void dimensionBeyond64Bits() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}";
        rejectsTensor("big-dim", file(header, 8), "a");
    }

    @Test
    void shapeProductOverflow() throws Exception {
        String header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}";
        CheckpointException e = rejectsTensor("overflow", file(header, 0), "a");
        assertTrue(e.getMessage().contains("64 bits"), e.getMessage());
    }

    @Test
    void byteSizeOverflow() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}";
        rejectsTensor("byte-overflow", file(header, 0), "a");
    }

    @Test
    void byteLengthDifferentFromNumelTimesSize() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        CheckpointException e = rejectsTensor("size", file(header, 4), "a");
        assertEquals(dataOffset(header, 0), e.offset());
    }

    @Test
    void offsetsNotAPair() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}";
        rejectsTensor("three-offsets", file(header, 8), "a");
    }

    @Test
    void offsetsEndingBeforeTheyBegin() throws Exception {
        String header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,4]}}";
        rejectsTensor("backwards", file(header, 8), "b");
    }

    @Test
    void overlappingOffsets() throws Exception {
        String header = "{" + A_F32_2 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        CheckpointException e = rejectsTensor("overlap", file(header, 12), "b");
        assertEquals(dataOffset(header, 4), e.offset());
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void twoTensorsOnTheSameBytes() throws Exception {
        String header = "{" + A_F32_2 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        rejectsTensor("aliased", file(header, 8), "b");
    }

    @Test
    void holeBetweenTensors() throws Exception {
        String header = "{" + A_F32_2 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}";
        CheckpointException e = rejectsTensor("hole", file(header, 16), "b");
        assertEquals(dataOffset(header, 12), e.offset());
        assertTrue(e.getMessage().contains("hole of 4 bytes"), e.getMessage());
    }

    @Test
    void firstTensorNotAtTheStartOfTheData() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        rejectsTensor("late-start", file(header, 8), "a");
    }

    @Test
    void offsetsPastTheEndOfATruncatedFile() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        CheckpointException e = rejectsTensor("truncated", file(header, 8), "a");
        assertEquals(dataOffset(header, 0), e.offset());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void offsetsNear2To63() throws Exception {
        String header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],"
                + "\"data_offsets\":[9223372036854775807,9223372036854775807]}}";
        rejectsTensor("far-offsets", file(header, 0), "a");
    }

    @Test
    void trailingBytesAfterTheLastTensor() throws Exception {
        String header = "{" + A_F32_2 + "}";
        CheckpointException e = rejects("trailing", file(header, 12));
        assertEquals(dataOffset(header, 8), e.offset());
        assertTrue(e.getMessage().contains("4 trailing bytes"), e.getMessage());
    }

    @Test
    void duplicateTensorNames() throws Exception {
        String header = "{" + A_F32_2 + "," + A_F32_2.replace("[0,8]", "[8,16]") + "}";
        CheckpointException e = rejectsTensor("duplicate", file(header, 16), "a");
        assertTrue(e.getMessage().contains("duplicate tensor name"), e.getMessage());
        assertEquals(8 + header.lastIndexOf("\"a\""), e.offset(), "at the second key");
    }

    @Test
    void duplicateFieldInsideAnEntry() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        rejectsTensor("duplicate-field", file(header, 8), "a");
    }

    @Test
    void duplicateMetadata() throws Exception {
        rejects("duplicate-metadata", file("{\"__metadata__\":{},\"__metadata__\":{}}", 0));
        rejects("duplicate-metadata-key", file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0));
    }

    @Test
    void metadataWithANonStringValue() throws Exception {
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"step\":1000}," + A_F32_2 + "}";
        CheckpointException e = rejects("metadata-number", file(header, 8));
        assertTrue(e.getMessage().contains("'step'"), e.getMessage());
    }

    @Test
    void metadataThatIsNotAnObject() throws Exception {
        rejects("metadata-string", file("{\"__metadata__\":\"pt\"," + A_F32_2 + "}", 8));
    }

    @Test
    void deeplyNestedJson() throws Exception {
        String header = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        rejects("nested", file(header, 0));
    }

    /** Writes {@code content}, opens it, and checks that it fails as a CheckpointException naming the file. */
    private CheckpointException rejects(String name, byte[] content) throws Exception {
        Path file = dir.resolve(name + ".safetensors");
        Files.write(file, content);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(file).close());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line");
        SafetensorsFuzzing.assertRejectsInMemory(file, content);
        return e;
    }

    private CheckpointException rejectsTensor(String name, byte[] content, String tensor) throws Exception {
        CheckpointException e = rejects(name, content);
        assertEquals(tensor, e.tensor(), e.getMessage());
        assertTrue(e.getMessage().contains("tensor '" + tensor + "'"), e.getMessage());
        assertTrue(e.offset() >= 8, "an offset past the length prefix: " + e.getMessage());
        return e;
    }
}
