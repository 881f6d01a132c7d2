package owb.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded mutations of valid safetensors files: bit flips, truncation, appended bytes, a rewritten
 * length prefix, and header edits (numbers and JSON tokens swapped for hostile ones, spans
 * duplicated) after which the length prefix is fixed up, so that mutants get past the prefix checks
 * into the JSON and layout checks.
 */
final class SafetensorsMutator {

    static final List<byte[]> VALID = List.of(
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
            "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F4\"", "\"F64\"", "\"BOOL\"", "\"U16\"", "\\u0000",
            "\\ud800", "\u00ff", " ", "\t", "\u0000"};
    private static final long[] HOSTILE_LENGTHS = {0, 1, 7, 8, Long.MAX_VALUE, Long.MIN_VALUE, -1, 100_000_000,
            100_000_001, 1L << 32};
    private static final Pattern NUMBER = Pattern.compile("-?\\d+");

    private final Random random;

    SafetensorsMutator(long seed) {
        this.random = new Random(seed);
    }

    /** A mutant of one of the {@link #VALID} files: one to three mutations. */
    byte[] next() {
        byte[] mutant = VALID.get(random.nextInt(VALID.size())).clone();
        int rounds = 1 + random.nextInt(3);
        for (int r = 0; r < rounds; r++) {
            mutant = switch (random.nextInt(7)) {
                case 0 -> flipBits(mutant);
                case 1 -> truncate(mutant);
                case 2 -> appendBytes(mutant);
                case 3 -> overwriteLength(mutant);
                case 4 -> editHeader(mutant, this::replaceNumber);
                case 5 -> editHeader(mutant, this::spliceToken);
                default -> editHeader(mutant, this::duplicateSpan);
            };
        }
        return mutant;
    }

    private byte[] flipBits(byte[] bytes) {
        if (bytes.length == 0) return bytes;
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips; i++) bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
        return bytes;
    }

    private byte[] truncate(byte[] bytes) {
        return Arrays.copyOf(bytes, bytes.length == 0 ? 0 : random.nextInt(bytes.length));
    }

    private byte[] appendBytes(byte[] bytes) {
        byte[] extra = new byte[1 + random.nextInt(16)];
        random.nextBytes(extra);
        return SafetensorsBytes.concat(bytes, extra);
    }

    private byte[] overwriteLength(byte[] bytes) {
        if (bytes.length < 8) return bytes;
        long current = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        long length = random.nextBoolean() ? HOSTILE_LENGTHS[random.nextInt(HOSTILE_LENGTHS.length)]
                : current + random.nextInt(17) - 8;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return bytes;
    }

    /** Applies {@code edit} to the header text (bytes as Latin-1 chars), then fixes the length prefix. */
    private byte[] editHeader(byte[] bytes, HeaderEdit edit) {
        if (bytes.length < 8) return bytes;
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 0 || n > bytes.length - 8) return bytes;
        String header = new String(bytes, 8, (int) n, StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(bytes, (int) (8 + n), bytes.length);
        String edited = edit.apply(header);
        // Tokens outside Latin-1 (none today) would not survive the round trip; UTF-8 keeps them.
        return SafetensorsBytes.file(edited.getBytes(StandardCharsets.ISO_8859_1), data);
    }

    @FunctionalInterface
    private interface HeaderEdit {
        String apply(String header);
    }

    private String replaceNumber(String header) {
        Matcher m = NUMBER.matcher(header);
        List<int[]> spans = m.results().map(r -> new int[] {r.start(), r.end()}).toList();
        if (spans.isEmpty()) return header;
        int[] span = spans.get(random.nextInt(spans.size()));
        String number = HOSTILE_NUMBERS[random.nextInt(HOSTILE_NUMBERS.length)];
        return header.substring(0, span[0]) + number + header.substring(span[1]);
    }

    private String spliceToken(String header) {
        int at = random.nextInt(header.length() + 1);
        int cut = random.nextInt(3) == 0 ? Math.min(header.length(), at + 1 + random.nextInt(8)) : at;
        String token = HOSTILE_TOKENS[random.nextInt(HOSTILE_TOKENS.length)];
        return header.substring(0, at) + token + header.substring(cut);
    }

    /** Copies a span of the header elsewhere: duplicate keys, entries and numbers. */
    private String duplicateSpan(String header) {
        if (header.isEmpty()) return header;
        int from = random.nextInt(header.length());
        int to = Math.min(header.length(), from + 1 + random.nextInt(64));
        int at = random.nextInt(header.length() + 1);
        return header.substring(0, at) + header.substring(from, to) + header.substring(at);
    }
}
