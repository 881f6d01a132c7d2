package owb.checkpoint;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the safetensors parser with Jazzer: whatever the bytes, parsing ends
 * in a checkpoint whose tensors tile the data section, or in a CheckpointException; never another
 * exception, an OOM or a hang.
 *
 * <p>In every test run (Jazzer's regression mode) this replays the inputs under
 * src/test/resources/owb/checkpoint/SafetensorsFuzzTestInputs/. To fuzz one target for its 30 s:
 * {@code JAZZER_FUZZ=1 mvn test -Dtest='SafetensorsFuzzTest#anyHeader'} (new coverage goes to
 * server/.cifuzz-corpus/, findings into the inputs folder above, where they become regression
 * tests). Only one target fuzzes per run: a Jazzer rule.
 */
class SafetensorsFuzzTest {

    /** Whole files: the length prefix, the header and the data are all the fuzzer's. */
    @FuzzTest(maxDuration = "30s")
    @DictionaryEntries({"{\"", "\":{", "\"dtype\":", "\"shape\":", "\"data_offsets\":", "\"__metadata__\":",
            "\"F32\"", "\"BF16\"", "\"U8\"", "[0,", "]}", "18446744073709551615", "9223372036854775807"})
    void anyBytes(byte[] content) {
        SafetensorsFuzzing.parses(content);
    }

    /**
     * Headers with a length prefix that matches them, so the fuzzer spends its time inside the
     * JSON and the offset checks rather than on the 8-byte prefix.
     */
    @FuzzTest(maxDuration = "30s")
    @DictionaryEntries({"{\"", "\":{", "\"dtype\":", "\"shape\":", "\"data_offsets\":", "\"__metadata__\":",
            "\"F64\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"F8_E4M3\"", "\"F8_E5M2\"", "\"I64\"", "\"U8\"",
            "\"BOOL\"", "[0,", "[]", "]}", ",", "}", "null", "-1", "1.5", "\"x\"",
            "18446744073709551615", "9223372036854775807", "4294967296", "2305843009213693952"})
    void anyHeader(byte[] input) {
        // input: a little-endian u16 data-section length, then the header bytes
        if (input.length < 2) return;
        int dataBytes = (input[0] & 0xFF) | (input[1] & 0xFF) << 8;
        byte[] header = Arrays.copyOfRange(input, 2, input.length);
        SafetensorsFuzzing.parses(SafetensorsBytes.file(header, new byte[dataBytes]));
    }
}
