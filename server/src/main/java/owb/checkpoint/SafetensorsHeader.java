package owb.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON header of one safetensors file, checked entry by entry but not yet against the data
 * section (that is {@link SafetensorsReader}'s job). Read with a streaming parser so that a 100 MB
 * hostile header costs its entries, not a tree of nodes, and so that every error can name the byte
 * where it is.
 *
 * <p>Accepted: a JSON object whose keys are tensor names mapping to objects with exactly
 * {@code dtype}, {@code shape} and {@code data_offsets}, plus an optional {@code __metadata__}
 * object of string values. Rejected beyond what the reference parser rejects: duplicate keys at any
 * level (disallowed by the format, silently last-wins in serde; detected here rather than by
 * Jackson's STRICT_DUPLICATE_DETECTION so that the error can name the tensor) and unknown fields in
 * an entry.
 *
 * @param metadata {@code __metadata__}, in header order; empty when absent or null
 * @param entries  tensors in header order
 */
record SafetensorsHeader(Map<String, String> metadata, List<Entry> entries) {

    static final String METADATA_KEY = "__metadata__";

    /**
     * One tensor as the header declares it.
     *
     * @param begin       first byte, relative to the start of the data section
     * @param end         one past the last byte, relative to the start of the data section
     * @param fileOffset  where the entry's key is in the file, for error messages
     */
    record Entry(String name, DType dtype, long[] shape, long begin, long end, long fileOffset) {}

    /**
     * Jackson's default limits (20M-char strings, 50k-char names) would refuse some headers that
     * the reference accepts; the 100 MB header limit is the bound that matters. Tensor names are
     * not interned: each is read once, and a large model has tens of thousands.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) SafetensorsReader.MAX_HEADER_BYTES)
                    .maxNameLength((int) SafetensorsReader.MAX_HEADER_BYTES)
                    .build())
            .build();

    /**
     * @param file       for error messages
     * @param json       the header bytes
     * @param fileOffset where {@code json} starts in the file (8), so errors give absolute offsets
     */
    static SafetensorsHeader parse(Path file, byte[] json, long fileOffset) {
        requireUtf8(file, json, fileOffset);
        requireNoEncodingMarks(file, json, fileOffset);
        try (JsonParser parser = JSON.createParser(json)) {
            return new Reader(file, parser, fileOffset).readHeader();
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : absolute(fileOffset, e.getLocation());
            throw new CheckpointException(file, at, "invalid JSON header: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CheckpointException(file, fileOffset, "unreadable JSON header: " + e.getMessage());
        }
    }

    /** Strict UTF-8 (no overlong forms, surrogates or truncated sequences), as Rust's from_utf8. */
    private static void requireUtf8(Path file, byte[] json, long fileOffset) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(json);
        CharBuffer scratch = CharBuffer.allocate(8192);
        CoderResult result;
        do {
            scratch.clear();
            result = decoder.decode(in, scratch, true);
        } while (result.isOverflow());
        if (result.isError()) {
            throw new CheckpointException(file, fileOffset + in.position(),
                    "header is not valid UTF-8");
        }
    }

    /**
     * Jackson guesses a byte source's encoding from a byte order mark or from zero bytes among the
     * first four, and would read such a header as UTF-16 or UTF-32 (or skip a UTF-8 BOM). serde_json
     * reads UTF-8 only, where a BOM or a raw NUL is never valid JSON: refuse both first, so that
     * Jackson always reads UTF-8 and accepts nothing the reference refuses.
     */
    private static void requireNoEncodingMarks(Path file, byte[] json, long fileOffset) {
        if (json.length >= 3 && (json[0] & 0xFF) == 0xEF && (json[1] & 0xFF) == 0xBB && (json[2] & 0xFF) == 0xBF) {
            throw new CheckpointException(file, fileOffset, "header starts with a byte order mark, not JSON");
        }
        for (int i = 0; i < json.length; i++) {
            if (json[i] == 0) throw new CheckpointException(file, fileOffset + i, "NUL byte in the JSON header");
        }
    }

    private static long absolute(long fileOffset, JsonLocation location) {
        long inHeader = location.getByteOffset();
        return inHeader < 0 ? fileOffset : fileOffset + inHeader;
    }

    /** Walks the token stream of one header. */
    private static final class Reader {
        private final Path file;
        private final JsonParser parser;
        private final long fileOffset;

        Reader(Path file, JsonParser parser, long fileOffset) {
            this.file = file;
            this.parser = parser;
            this.fileOffset = fileOffset;
        }

        SafetensorsHeader readHeader() throws IOException {
            JsonToken first = parser.nextToken();
            if (first == null) throw problem(null, "header is empty, expected a JSON object");
            if (first != JsonToken.START_OBJECT) {
                throw problem(null, "header is not a JSON object (it starts with " + first.asString() + ")");
            }
            Map<String, String> metadata = Map.of();
            List<Entry> entries = new ArrayList<>();
            Set<String> keys = new HashSet<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = wellFormed(parser.currentName());
                long keyAt = here();
                if (!keys.add(key)) {
                    throw key.equals(METADATA_KEY) ? problem(null, "duplicate " + METADATA_KEY)
                            : problem(key, "duplicate tensor name");
                }
                parser.nextToken();
                if (key.equals(METADATA_KEY)) {
                    metadata = readMetadata();
                } else {
                    entries.add(readEntry(key, keyAt));
                }
            }
            JsonToken after = parser.nextToken();
            if (after != null) throw problem(null, "content after the header's JSON object");
            return new SafetensorsHeader(metadata, entries);
        }

        /** {@code __metadata__}: string keys to string values, or null (serde reads it as absent). */
        private Map<String, String> readMetadata() throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_NULL) return Map.of();
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw problem(null, METADATA_KEY + " must be an object of strings");
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = wellFormed(parser.currentName());
                if (metadata.containsKey(key)) throw problem(null, "duplicate " + METADATA_KEY + " key '" + key + "'");
                if (parser.nextToken() != JsonToken.VALUE_STRING) {
                    throw problem(null, METADATA_KEY + " value of '" + key + "' is not a string");
                }
                metadata.put(key, wellFormed(parser.getText()));
            }
            return Collections.unmodifiableMap(metadata);
        }

        private Entry readEntry(String name, long keyAt) throws IOException {
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw problem(name, "entry is not an object with dtype, shape and data_offsets");
            }
            DType dtype = null;
            long[] shape = null;
            long[] offsets = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                boolean repeated = switch (field) {
                    case "dtype" -> dtype != null;
                    case "shape" -> shape != null;
                    case "data_offsets" -> offsets != null;
                    default -> false;
                };
                if (repeated) throw problem(name, "duplicate field '" + field + "'");
                parser.nextToken();
                switch (field) {
                    case "dtype" -> dtype = readDtype(name);
                    case "shape" -> shape = readNonNegativeLongs(name, "shape");
                    case "data_offsets" -> offsets = readOffsets(name);
                    default -> throw problem(name, "unexpected field '" + field
                            + "' (an entry has exactly dtype, shape and data_offsets)");
                }
            }
            if (dtype == null) throw problem(name, keyAt, "entry has no dtype");
            if (shape == null) throw problem(name, keyAt, "entry has no shape");
            if (offsets == null) throw problem(name, keyAt, "entry has no data_offsets");
            return new Entry(name, dtype, shape, offsets[0], offsets[1], keyAt);
        }

        private DType readDtype(String name) throws IOException {
            if (parser.currentToken() != JsonToken.VALUE_STRING) {
                throw problem(name, "dtype is not a string");
            }
            String spelled = parser.getText();
            return DType.fromSafetensors(spelled).orElseThrow(() -> problem(name,
                    "unknown dtype '" + spelled + "' (known: F64, F32, F16, BF16, F8_E4M3, F8_E5M2,"
                            + " I64, I32, I16, I8, U8, BOOL)"));
        }

        private long[] readOffsets(String name) throws IOException {
            long at = here();
            long[] offsets = readNonNegativeLongs(name, "data_offsets");
            if (offsets.length != 2) {
                throw problem(name, at, "data_offsets must be [begin, end], not "
                        + offsets.length + " numbers");
            }
            return offsets;
        }

        /** An array of integers in [0, 2^63): shapes and offsets are usize in the reference. */
        private long[] readNonNegativeLongs(String name, String field) throws IOException {
            if (parser.currentToken() != JsonToken.START_ARRAY) {
                throw problem(name, field + " is not an array of integers");
            }
            long[] values = new long[4];
            int count = 0;
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token != JsonToken.VALUE_NUMBER_INT) {
                    throw problem(name, field + " holds " + describe(token) + ", expected an integer");
                }
                if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw problem(name, field + " value " + parser.getText() + " does not fit 64 bits");
                }
                long value = parser.getLongValue();
                // "-0" too: serde_json reads it as a float, never as a usize
                if (value < 0 || parser.getText().startsWith("-")) {
                    throw problem(name, field + " value " + parser.getText() + " is negative");
                }
                if (count == values.length) values = Arrays.copyOf(values, count * 2);
                values[count++] = value;
            }
            return Arrays.copyOf(values, count);
        }

        /**
         * Jackson decodes an escaped lone surrogate ("\\ud800") into the string; serde_json refuses
         * it, and so does this.
         */
        private String wellFormed(String text) throws IOException {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw problem(null, "string holds an unpaired UTF-16 surrogate escape");
                }
            }
            return text;
        }

        private String describe(JsonToken token) {
            return switch (token) {
                case VALUE_NUMBER_FLOAT -> "the non-integer " + text();
                case VALUE_STRING -> "the string \"" + text() + "\"";
                default -> token.asString() == null ? token.name() : token.asString();
            };
        }

        private String text() {
            try {
                return parser.getText();
            } catch (IOException e) {
                return "?";
            }
        }

        private long here() {
            return absolute(fileOffset, parser.currentTokenLocation());
        }

        private CheckpointException problem(String tensor, String what) {
            return problem(tensor, here(), what);
        }

        private CheckpointException problem(String tensor, long at, String what) {
            return new CheckpointException(file, tensor, at, what);
        }
    }
}
