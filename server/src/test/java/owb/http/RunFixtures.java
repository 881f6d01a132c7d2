package owb.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import owb.testing.GgufFixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model folders for the run endpoints' tests: copies of the tiny fixture models
 * ({@code ${owb.fixtures}/models/<name>}, generated when missing) with, where asked, a small
 * byte-level tokenizer.json so that prompts work on them.
 */
final class RunFixtures {
    private RunFixtures() {}

    /** The fixture model folder {@code name} (config.json, model.safetensors, ...). */
    static Path fixture(String name) { return GgufFixtures.tinyModel(name); }

    /** Copies a fixture's config.json and model.safetensors into {@code folder}; adds a tokenizer when asked. */
    static Path copy(String name, Path folder, boolean withTokenizer) throws IOException {
        Files.createDirectories(folder);
        for (String file : List.of("config.json", "model.safetensors")) {
            Files.copy(fixture(name).resolve(file), folder.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (withTokenizer) writeTokenizer(folder.resolve("tokenizer.json"));
        return folder;
    }

    /**
     * GPT-2's byte-level BPE over the 256 bytes (id = byte value) plus one merge, "Ġ" + "a" -> "Ġa"
     * (id 256): " a" is one token, " ab" two. Ids stay below the fixtures' vocabulary of 512.
     */
    static void writeTokenizer(Path file) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        char[] byteChars = byteLevelAlphabet();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(byteChars[b]), b);
        vocab.put("Ġa", 256);
        Map<String, Object> byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false,
                "trim_offsets", true, "use_regex", true);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.put("vocab", vocab);
        model.put("merges", List.of("Ġ a"));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        json.put("added_tokens", List.of());
        json.put("normalizer", null);
        json.put("pre_tokenizer", byteLevel);
        json.put("post_processor", null);
        json.put("decoder", byteLevel);
        json.put("model", model);
        new ObjectMapper().writeValue(file.toFile(), json);
    }

    /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for 256 + n. */
    private static char[] byteLevelAlphabet() {
        List<Integer> printable = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) printable.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.add(b);
        char[] chars = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) chars[b] = printable.contains(b) ? (char) b : (char) (256 + n++);
        return chars;
    }
}
