package owb.checkpoint;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded mutation fuzzer that runs in every build (Jazzer only replays its corpus there): 20,000
 * mutants of valid files (bit flips, truncation, rewritten length prefix, numbers and JSON tokens
 * swapped for hostile ones), each of which must parse cleanly or fail with a CheckpointException.
 * A failure names the seed and iteration and prints the input, so it reproduces exactly.
 */
class SafetensorsMutationTest {

    private static final long SEED = 0x5AFE_7E45L;
    private static final int ITERATIONS = 20_000;
    private static final Duration BUDGET = Duration.ofSeconds(60);

    private static final List<byte[]> VALID = List.of(
            SafetensorsBytes.file("{}", 0),
            SafetensorsBytes.file("{\"__metadata__\":{\"format\":\"pt\"},"
                    + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                    + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]}}", 22),
            SafetensorsBytes.file("{\"e\":{\"dtype\":\"U8\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
                    + "\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                    + "\"f\":{\"dtype\":\"F8_E4M3\",\"shape\":[1,1,3],\"data_offsets\":[8,11]}}", 11));

    private static final String[] HOSTILE_NUMBERS = {"0", "1", "-1", "-0", "1.5", "1e3", "\"7\"", "null", "[]",
            "4294967296", "9223372036854775807", "9223372036854775808", "18446744073709551615",
            "18446744073709551616", "2305843009213693952", "100000001"};
    private static final String[] HOSTILE_TOKENS = {"{", "}", "[", "]", ",", ":", "\"", "\"__metadata__\"",
            "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F4\"", "\"F64\"", "\"BOOL\"", "\\u0000", "\u00ff", " "};
    private static final long[] HOSTILE_LENGTHS = {0, 1, 7, 8, Long.MAX_VALUE, Long.MIN_VALUE, -1, 100_000_000,
            100_000_001, 1L << 32};
    private static final Pattern NUMBER = Pattern.compile("-?\\d+");

    @Test
    void mutantsOfValidFilesParseOrFailAsCheckpointExceptions() {
        int[] outcome = new int[2]; // [accepted, rejected]
        assertTimeoutPreemptively(BUDGET, () -> {
            Random random = new Random(SEED);
            for (int i = 0; i < ITERATIONS; i++) {
                byte[] mutant = mutate(VALID.get(random.nextInt(VALID.size())), random);
                try {
                    outcome[SafetensorsFuzzing.parses(mutant) ? 0 : 1]++;
                } catch (Throwable e) {
                    throw new AssertionError("seed " + SEED + " iteration " + i + ": " + e + " on input "
                            + Base64.getEncoder().encodeToString(mutant), e);
                }
            }
        });
        assertTrue(outcome[0] > 100 && outcome[1] > 100,
                "the mutations should reach both outcomes: accepted " + outcome[0] + ", rejected " + outcome[1]);
    }

    private static byte[] mutate(byte[] valid, Random random) {
        byte[] mutant = valid.clone();
        int rounds = 1 + random.nextInt(3);
        for (int r = 0; r < rounds; r++) {
            mutant = switch (random.nextInt(7)) {
                case 0 -> flipBits(mutant, random);
                case 1 -> truncate(mutant, random);
                case 2 -> appendBytes(mutant, random);
                case 3 -> overwriteLength(mutant, random);
                case 4 -> editHeader(mutant, random, SafetensorsMutationTest::replaceNumber);
                case 5 -> editHeader(mutant, random, SafetensorsMutationTest::spliceToken);
                default -> editHeader(mutant, random, SafetensorsMutationTest::duplicateSpan);
            };
        }
        return mutant;
    }

    private static byte[] flipBits(byte[] bytes, Random random) {
        if (bytes.length == 0) return bytes;
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips; i++) bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
        return bytes;
    }

    private static byte[] truncate(byte[] bytes, Random random) {
        return Arrays.copyOf(bytes, bytes.length == 0 ? 0 : random.nextInt(bytes.length));
    }

    private static byte[] appendBytes(byte[] bytes, Random random) {
        byte[] extra = new byte[1 + random.nextInt(16)];
        random.nextBytes(extra);
        return SafetensorsBytes.concat(bytes, extra);
    }

    private static byte[] overwriteLength(byte[] bytes, Random random) {
        if (bytes.length < 8) return bytes;
        long current = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        long length = random.nextBoolean() ? HOSTILE_LENGTHS[random.nextInt(HOSTILE_LENGTHS.length)]
                : current + random.nextInt(17) - 8;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return bytes;
    }

    /**
     * Applies {@code edit} to the header text, then rewrites the length prefix to match so that the
     * mutant gets past the prefix checks into the JSON and layout checks.
     */
    private static byte[] editHeader(byte[] bytes, Random random, HeaderEdit edit) {
        if (bytes.length < 8) return bytes;
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 0 || n > bytes.length - 8) return bytes;
        String header = new String(bytes, 8, (int) n, StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(bytes, (int) (8 + n), bytes.length);
        byte[] edited = edit.apply(header, random).getBytes(StandardCharsets.ISO_8859_1);
        return SafetensorsBytes.file(edited, data);
    }

    @FunctionalInterface
    private interface HeaderEdit {
        String apply(String header, Random random);
    }

    private static String replaceNumber(String header, Random random) {
        Matcher m = NUMBER.matcher(header);
        List<int[]> spans = m.results().map(r -> new int[] {r.start(), r.end()}).toList();
        if (spans.isEmpty()) return header;
        int[] span = spans.get(random.nextInt(spans.size()));
        String number = HOSTILE_NUMBERS[random.nextInt(HOSTILE_NUMBERS.length)];
        return header.substring(0, span[0]) + number + header.substring(span[1]);
    }

    private static String spliceToken(String header, Random random) {
        int at = random.nextInt(header.length() + 1);
        int cut = random.nextInt(3) == 0 ? Math.min(header.length(), at + 1 + random.nextInt(8)) : at;
        String token = HOSTILE_TOKENS[random.nextInt(HOSTILE_TOKENS.length)];
        return header.substring(0, at) + token + header.substring(cut);
    }

    /** Copies a span of the header elsewhere: duplicate keys, entries and numbers. */
    private static String duplicateSpan(String header, Random random) {
        if (header.isEmpty()) return header;
        int from = random.nextInt(header.length());
        int to = Math.min(header.length(), from + 1 + random.nextInt(64));
        int at = random.nextInt(header.length() + 1);
        return header.substring(0, at) + header.substring(from, to) + header.substring(at);
    }
}
