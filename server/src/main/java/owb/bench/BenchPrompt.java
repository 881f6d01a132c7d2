package owb.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Path;

/** The token ids every forward-pass benchmark runs on: samples/fixtures/smollm2/bench_prompt.json. */
final class BenchPrompt {
    private BenchPrompt() {}

    static int[] ids(Path root) throws IOException {
        JsonNode ids = JsonMapper.builder().build()
                .readTree(root.resolve("samples/fixtures/smollm2/bench_prompt.json").toFile()).get("ids");
        if (ids == null || !ids.isArray()) throw new IOException("bench_prompt.json has no \"ids\" array");
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) out[i] = ids.get(i).asInt();
        return out;
    }
}
