package owb.checkpoint;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Differential test against the reference parser (the safetensors package, via
 * samples/safetensors_verdicts.py): on thousands of mutants, we accept nothing it refuses, and we
 * refuse what it accepts only for the reasons we choose to be stricter.
 */
class SafetensorsReferenceTest {

    private static final long SEED = 0xD1FF_5AFEL;
    private static final int MUTANTS = 10_000;

    /**
     * Where we are deliberately stricter than the reference: unknown fields in an entry and duplicate
     * keys (serde ignores the first and keeps the last), dtypes owb does not read (U16, U32, U64,
     * C64, F8_E8M0, F4, ...), and dimensions or offsets of 2^63 or more, which no tensor of a real
     * file can have and a Java long cannot hold (the reference accepts [2^63, 0], for instance).
     */
    private static final List<String> STRICTER_ON_PURPOSE = List.of("unexpected field", "duplicate",
            "unknown dtype", "does not fit 64 bits", "more elements than fit in 64 bits");

    @Test
    void acceptsExactlyWhatTheReferenceAcceptsBarDeliberateStrictness() throws Exception {
        String python = SafetensorsFixtures.python();
        List<byte[]> files = new ArrayList<>(SafetensorsMutator.VALID);
        SafetensorsMutator mutator = new SafetensorsMutator(SEED);
        for (int i = 0; i < MUTANTS; i++) files.add(mutator.next());

        String reference = referenceVerdicts(python, files);
        assertEquals(files.size(), reference.length(), "one verdict per file");
        int bothAccept = 0;
        int bothReject = 0;
        for (int i = 0; i < files.size(); i++) {
            byte[] file = files.get(i);
            boolean referenceAccepts = reference.charAt(i) == '1';
            String ours = ourRejection(file);
            if (referenceAccepts && ours == null) {
                bothAccept++;
            } else if (!referenceAccepts && ours != null) {
                bothReject++;
            } else if (ours == null) {
                fail("file " + i + " is refused by the reference but accepted here: " + encode(file));
            } else if (STRICTER_ON_PURPOSE.stream().noneMatch(ours::contains)) {
                fail("file " + i + " is accepted by the reference but refused here (" + ours + "): " + encode(file));
            }
        }
        assertTrue(bothAccept > 100 && bothReject > 100, "accepted " + bothAccept + ", rejected " + bothReject);
    }

    /** Our parser's error message, or null when it accepts the file. */
    private static String ourRejection(byte[] file) {
        try {
            SafetensorsReader.parse(SafetensorsFuzzing.NAME, MemorySegment.ofArray(file));
            return null;
        } catch (CheckpointException e) {
            return e.getMessage();
        }
    }

    private static String referenceVerdicts(String python, List<byte[]> files) throws Exception {
        String script = SafetensorsFixtures.repo().resolve("samples/safetensors_verdicts.py").toString();
        Process process = new ProcessBuilder(python, script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        for (byte[] file : files) {
            records.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(file.length).array());
            records.writeBytes(file);
        }
        // The script reads everything before writing its one short line, so this cannot deadlock.
        try (OutputStream in = process.getOutputStream()) {
            records.writeTo(in);
        }
        String verdicts = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "reference script failed");
        return verdicts;
    }

    private static String encode(byte[] file) {
        return Base64.getEncoder().encodeToString(file);
    }
}
