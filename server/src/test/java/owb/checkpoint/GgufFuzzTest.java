package owb.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static owb.checkpoint.GgufBytes.ARRAY;
import static owb.checkpoint.GgufBytes.BOOL;
import static owb.checkpoint.GgufBytes.F16;
import static owb.checkpoint.GgufBytes.F32;
import static owb.checkpoint.GgufBytes.FLOAT64;
import static owb.checkpoint.GgufBytes.INT16;
import static owb.checkpoint.GgufBytes.Q4_0;
import static owb.checkpoint.GgufBytes.Q4_K;
import static owb.checkpoint.GgufBytes.Q6_K;
import static owb.checkpoint.GgufBytes.Q8_0;
import static owb.checkpoint.GgufBytes.STRING;
import static owb.checkpoint.GgufBytes.UINT64;
import static owb.checkpoint.GgufBytes.UINT8;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import owb.tensor.TensorReader;

/**
 * A seeded mutation fuzzer for the GGUF parser: valid seed files get bit flips, overwritten
 * length and count fields, truncations, insertions and deletions; the parser must either accept
 * the result (and then every tensor must decode) or throw a CheckpointException, never anything
 * else. Deterministic (fixed seed), bounded to 20,000 inputs or 30 s; for a longer run set
 * {@code -Dowb.fuzz.seed=N -Dowb.fuzz.iterations=N -Dowb.fuzz.seconds=N}. A failing input is
 * saved under target/fuzz-failures/.
 *
 * <p>Chosen over Jazzer: Jazzer only fuzzes when run with JAZZER_FUZZ=1 (otherwise it replays
 * stored inputs), one fuzz test per JVM, through a native agent; this runs in every {@code mvn
 * test} with no dependency, and the corpus of GgufMalformedFilesTest pins the known cases.
 */
class GgufFuzzTest {
    static final int ITERATIONS = Integer.getInteger("owb.fuzz.iterations", 20_000);
    static final int TIME_LIMIT_SECONDS = Integer.getInteger("owb.fuzz.seconds", 30);
    private static final long SEED = Long.getLong("owb.fuzz.seed", 0x6767_7566L);

    private static final long[] INTERESTING = {0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 31, 32, 33, 64,
            255, 256, 0x7FFF, 0xFFFF, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1L << 30, (1L << 30) + 1,
            1L << 32, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2};

    private static List<byte[]> seeds() {
        return List.of(
            new GgufBytes()
                .kvString("general.architecture", "llama")
                .kvU32("general.alignment", 32)
                .kv("u8", UINT8, v -> v.u8(7))
                .kv("flag", BOOL, v -> v.u8(1))
                .kv("big", UINT64, v -> v.u64(-1))
                .kv("pi", FLOAT64, v -> v.f64(Math.PI))
                .kv("tokens", ARRAY, v -> v.u32(STRING).u64(3).str("a").str("bc").str(""))
                .kv("ids", ARRAY, v -> v.u32(INT16).u64(3).u16(1).u16(2).u16(3))
                .kv("nested", ARRAY, v -> v.u32(ARRAY).u64(2).u32(UINT8).u64(1).u8(1).u32(BOOL).u64(1).u8(0))
                .tensor("embd", F32, 8, 2)
                .tensor("norm", F16, 8)
                .tensor("q4", Q4_0, 32, 2)
                .tensor("q8", Q8_0, 64)
                .tensor("k4", Q4_K, 256)
                .tensor("k6", Q6_K, 256)
                .build(),
            new GgufBytes().version(2).alignment(64)
                .kvU32("general.alignment", 64)
                .tensor("a", F32, 3, 1, 1, 2)
                .tensor("b", F16, 5)
                .build(),
            new GgufBytes().kvString("general.name", "metadata only").build());
    }

    @Test
    void onlyCheckpointExceptionsEscapeOnMutatedFiles() throws IOException {
        List<byte[]> seeds = seeds();
        for (byte[] seed : seeds) assertParses(seed);

        SplittableRandom random = new SplittableRandom(SEED);
        long deadline = System.nanoTime() + TIME_LIMIT_SECONDS * 1_000_000_000L;
        int accepted = 0;
        int iteration = 0;
        for (; iteration < ITERATIONS && System.nanoTime() < deadline; iteration++) {
            byte[] input = seeds.get(random.nextInt(seeds.size()));
            int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations; m++) input = mutate(input, random);
            try {
                if (parseAndDecode(input, iteration)) accepted++;
            } catch (Throwable escaped) {
                Path saved = save(input);
                throw new AssertionError("iteration " + iteration + ": " + escaped + " escaped the parser;"
                        + " input saved as " + saved, escaped);
            }
        }
        // The mutations must leave some inputs valid, or the decoders are never fuzzed.
        assertTrue(accepted > iteration / 50, accepted + " of " + iteration + " inputs parsed");
    }

    private static void assertParses(byte[] seed) {
        try (Arena arena = Arena.ofConfined()) {
            GgufReader.read(Path.of("seed.gguf"), MemorySegment.ofArray(seed), arena);
        }
    }

    /** True when the input parsed and every tensor decoded; false on a CheckpointException. */
    private static boolean parseAndDecode(byte[] input, int iteration) {
        Path name = Path.of("fuzz-" + iteration + ".gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocate(Math.max(1, input.length)).asSlice(0, input.length);
            image.copyFrom(MemorySegment.ofArray(input));
            Checkpoint checkpoint;
            try {
                checkpoint = GgufReader.read(name, image.asReadOnly(), arena);
            } catch (CheckpointException rejected) {
                if (!rejected.getMessage().startsWith(name + ": ")) {
                    throw new AssertionError("message does not name the file: " + rejected.getMessage());
                }
                return false;
            }
            for (TensorEntry t : checkpoint.tensors()) {
                float[] values = TensorReader.readAll(t);
                float[] reference = new float[values.length];
                TensorReader.readFloatsScalar(t, 0, values.length, reference, 0);
            }
            return true;
        }
    }

    private static byte[] mutate(byte[] input, SplittableRandom random) {
        int length = input.length;
        if (length == 0) return new byte[] {(byte) random.nextInt(256)};
        byte[] out = input.clone();
        // most fields worth breaking are in the header: aim there three times in four
        int headerEnd = Math.min(length, 400);
        int at = random.nextInt(4) == 0 ? random.nextInt(length) : random.nextInt(headerEnd);
        switch (random.nextInt(7)) {
            case 0 -> out[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> out[at] = (byte) new int[] {0, 1, 0x7F, 0x80, 0xFF}[random.nextInt(5)];
            case 2, 3 -> {
                long value = random.nextInt(3) == 0 ? length + random.nextInt(-2, 3)
                        : INTERESTING[random.nextInt(INTERESTING.length)];
                int width = random.nextBoolean() ? 4 : 8;
                for (int i = 0; i < width && at + i < length; i++) out[at + i] = (byte) (value >>> (8 * i));
            }
            case 4 -> out = Arrays.copyOf(out, random.nextInt(length));
            case 5 -> {
                int chunk = 1 + random.nextInt(Math.min(64, length));
                int from = random.nextInt(length - chunk + 1);
                byte[] grown = new byte[length + chunk];
                System.arraycopy(out, 0, grown, 0, at);
                System.arraycopy(out, from, grown, at, chunk);
                System.arraycopy(out, at, grown, at + chunk, length - at);
                out = grown;
            }
            default -> {
                int chunk = 1 + random.nextInt(Math.min(64, length - at));
                byte[] shrunk = new byte[length - chunk];
                System.arraycopy(out, 0, shrunk, 0, at);
                System.arraycopy(out, at + chunk, shrunk, at, length - at - chunk);
                out = shrunk;
            }
        }
        return out;
    }

    private static Path save(byte[] input) {
        try {
            Path folder = Files.createDirectories(Path.of("target", "fuzz-failures"));
            String hash = HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(input), 0, 8);
            return Files.write(folder.resolve(hash + ".gguf"), input);
        } catch (Exception e) {
            return Path.of("(not saved: " + e + ")");
        }
    }
}
