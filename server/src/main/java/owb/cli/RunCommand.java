package owb.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;


import owb.json.JsonText;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;
import owb.model.Activation;
import owb.model.Hooks;
import owb.model.KvCache;
import owb.model.LanguageModel;
import owb.model.ModelConfig;
import owb.model.ModelException;
import owb.model.ModelLoader;
import owb.report.Npy;
import owb.tokenizer.CheckpointTokenizer;
import owb.tokenizer.Tokenizer;
import owb.tensor.KernelWarmUp;

/**
 * {@code owb run}: one forward pass over a prompt, the likeliest next tokens, an optional greedy
 * continuation and optional activations saved as .npy files.
 */
final class RunCommand implements Command, ArgsSpec {

    private static final String NL = System.lineSeparator();

    @Override public String name() { return "run"; }

    @Override public String summary() { return "run a model on a prompt: next-token predictions, greedy text, activations"; }

    @Override
    public String usage() {
        return """
                usage: owb run MODEL (--prompt TEXT | --tokens ID,ID,...) [--top K] [--generate N]
                               [--json] [--save-hooks GLOB]... [--out DIR]

                Runs MODEL (a .gguf or safetensors file, a model folder or a Hugging Face cache
                folder) on the CPU and shows the top K next tokens after the prompt.

                  --prompt TEXT      text, tokenized with the model's tokenizer (tokenizer.json beside
                                     safetensors weights, or the GGUF vocabulary), special tokens
                                     such as BOS added as the tokenizer does by default
                  --tokens IDS       token ids instead of text, comma-separated
                  --top K            next tokens to list per position (default 5)
                  --generate N       also continue greedily by N tokens (KV cache, no stop at EOS)
                  --json             one JSON document on stdout: tokens, predictions for every
                                     position, generated tokens and text
                  --save-hooks GLOB  write the activations whose TransformerLens hook name matches
                                     (e.g. 'blocks.*.attn.hook_pattern', '*') as float32 .npy
                                     files <hook name>.npy into --out DIR; repeatable
                """;
    }

    @Override public Set<String> flags() { return Set.of("json"); }

    @Override public Set<String> valued() { return Set.of("prompt", "tokens", "top", "generate", "save-hooks", "out"); }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        // compiles the engine's kernels for a prompt of this size while the model is opened
        KernelWarmUp.start(PromptTokens.estimatedCount(args));
        Path modelPath = Path.of(args.onePositional("MODEL (a model file or folder)"));
        String prompt = args.option("prompt", null);
        String tokenList = args.option("tokens", null);
        if ((prompt == null) == (tokenList == null)) throw new UsageException("give either --prompt or --tokens");
        if (prompt != null && prompt.isEmpty()) throw new UsageException("--prompt is empty");
        int top = args.intOption("top", 5);
        if (top < 1) throw new UsageException("--top must be at least 1");
        int generate = args.intOption("generate", 0);
        if (generate < 0) throw new UsageException("--generate must not be negative");
        List<String> hookGlobs = args.all("save-hooks");
        String outDir = args.option("out", null);
        if (hookGlobs.isEmpty() != (outDir == null)) throw new UsageException("--save-hooks and --out go together");
        boolean json = args.flag("json");

        try (Checkpoint checkpoint = Checkpoints.open(modelPath)) {
            LanguageModel model = ModelLoader.load(checkpoint);
            TokenizerOrReason tokenizer = tokenizer(checkpoint);
            int[] tokens = prompt != null ? encode(tokenizer, prompt) : parseTokens(tokenList);
            TokenTexts texts = new TokenTexts(tokenizer.tokenizer);

            Hooks hooks = new Hooks();
            hookGlobs.forEach(hooks::capture);
            KvCache cache = new KvCache(model.config());
            // every position's predictions for --json, the last one's for text
            float[] logits = model.forward(tokens, cache, hooks, json);       // [n or 1, d_vocab]
            int[] generated = model.continueGreedily(logits, cache, generate, Hooks.none());
            List<Path> saved = outDir == null ? List.of() : saveHooks(hooks, hookGlobs, Path.of(outDir));
            if (tokenizer.tokenizer == null) err.println("warning: " + tokenizer.reason + "; token texts are shown as <id>");

            if (json) {
                printJson(out, modelPath, model.config(), tokens, logits, top, generated, texts, saved);
            } else {
                printText(out, modelPath, model.config(), tokens, logits, top, generated, texts, saved, outDir);
            }
        }
        return 0;
    }

    // ---- input ---------------------------------------------------------------------------------------

    record TokenizerOrReason(Tokenizer tokenizer, String reason) {}

    /** tokenizer.json beside safetensors weights, or the tokenizer a GGUF file describes. */
    static TokenizerOrReason tokenizer(Checkpoint checkpoint) {
        CheckpointTokenizer t = CheckpointTokenizer.of(checkpoint);
        return new TokenizerOrReason(t.tokenizer(), t.reason());
    }

    static int[] encode(TokenizerOrReason t, String prompt) {
        if (t.tokenizer == null) throw new ModelException(t.reason + "; give token ids with --tokens instead of --prompt");
        int[] tokens = t.tokenizer.encode(prompt, true);
        if (tokens.length == 0) throw new ModelException("the prompt encodes to no tokens");
        return tokens;
    }

    static int[] parseTokens(String list) {
        List<Integer> ids = new ArrayList<>();
        for (String part : list.split(",", -1)) {
            String s = part.strip();
            try {
                ids.add(Integer.parseInt(s));
            } catch (NumberFormatException e) {
                throw new UsageException("--tokens expects comma-separated token ids, got '" + s + "'");
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---- output --------------------------------------------------------------------------------------

    /** A token's text as the tokenizer spells it, or {@code <id>} without one. */
    record TokenTexts(Tokenizer tokenizer) {
        String text(int id) { return Tokenizer.textOrId(tokenizer, id); }

        String decode(int[] ids) {
            if (tokenizer == null) {
                StringBuilder sb = new StringBuilder();
                for (int id : ids) sb.append(text(id));
                return sb.toString();
            }
            return tokenizer.decode(ids, false);
        }
    }

    private record Prediction(int id, double logprob) {}

    /** The k likeliest next tokens after position {@code pos}, with their log-probabilities. */
    private static List<Prediction> topK(float[] logits, int pos, int vocab, int k) {
        int at = pos * vocab;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) max = Math.max(max, logits[at + j]);
        double sum = 0;
        for (int j = 0; j < vocab; j++) sum += Math.exp(logits[at + j] - max);
        double logZ = max + Math.log(sum);
        int count = Math.min(k, vocab);
        int[] best = new int[count];      // kept sorted, best first (ties: lower id first)
        int filled = 0;
        for (int j = 0; j < vocab; j++) {
            float v = logits[at + j];
            if (filled == count && !(v > logits[at + best[count - 1]])) continue;
            int i = Math.min(filled, count - 1);
            while (i > 0 && v > logits[at + best[i - 1]]) {
                best[i] = best[i - 1];
                i--;
            }
            best[i] = j;
            if (filled < count) filled++;
        }
        List<Prediction> out = new ArrayList<>();
        for (int id : best) out.add(new Prediction(id, logits[at + id] - logZ));
        return out;
    }

    private static List<Path> saveHooks(Hooks hooks, List<String> globs, Path dir) throws IOException {
        for (String glob : globs) {
            if (hooks.cache().names().stream().noneMatch(name -> Hooks.matches(glob, name))) {
                throw new UsageException("--save-hooks '" + glob + "' matches no hook point of this model"
                        + " (e.g. blocks.0.hook_resid_pre, blocks.*.attn.hook_pattern, ln_final.hook_normalized)");
            }
        }
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (String name : hooks.cache().names()) {
            Activation a = hooks.cache().get(name);
            Path file = dir.resolve(name + ".npy");
            Npy.write(file, a.data(), a.shape());
            written.add(file);
        }
        return written;
    }

    private static void printJson(PrintStream out, Path modelPath, ModelConfig cfg, int[] tokens, float[] logits, int top,
                                  int[] generated, TokenTexts texts, List<Path> saved) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", modelPath.toString());
        doc.put("architecture", cfg.architecture());
        doc.put("tokens", tokenList(tokens, texts));
        List<List<Map<String, Object>>> predictions = new ArrayList<>();
        for (int pos = 0; pos < tokens.length; pos++) {
            List<Map<String, Object>> next = new ArrayList<>();
            for (Prediction p : topK(logits, pos, cfg.dVocab(), top)) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", p.id());
                m.put("text", texts.text(p.id()));
                m.put("logprob", p.logprob());
                next.add(m);
            }
            predictions.add(next);
        }
        doc.put("predictions", predictions);
        if (generated.length > 0) {
            doc.put("generated", tokenList(generated, texts));
            doc.put("generated_text", texts.decode(generated));
        }
        if (!saved.isEmpty()) doc.put("saved_hooks", saved.stream().map(Path::toString).toList());
        out.println(JsonText.pretty(doc));
    }

    static List<Map<String, Object>> tokenList(int[] ids, TokenTexts texts) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (int id : ids) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("text", texts.text(id));
            list.add(m);
        }
        return list;
    }

    private static void printText(PrintStream out, Path modelPath, ModelConfig cfg, int[] tokens, float[] logits, int top,
                                  int[] generated, TokenTexts texts, List<Path> saved, String outDir) {
        StringBuilder sb = new StringBuilder();
        sb.append("model      ").append(modelPath).append(" (").append(cfg.architecture()).append(": ")
                .append(cfg.nLayers()).append(" layers, d_model ").append(cfg.dModel()).append(", ")
                .append(cfg.nHeads()).append(" heads)").append(NL);
        sb.append("tokens     ").append(tokens.length).append(':');
        for (int id : tokens) sb.append(' ').append(id).append(':').append(quote(texts.text(id)));
        sb.append(NL).append("next token after ").append(quote(texts.text(tokens[tokens.length - 1]))).append(':').append(NL);
        int rank = 1;
        for (Prediction p : topK(logits, logits.length / cfg.dVocab() - 1, cfg.dVocab(), top)) {
            TextColumns.right(sb.append("  "), rank++, 2).append(". ");
            TextColumns.left(sb, quote(texts.text(p.id())), 20).append(" id ");
            TextColumns.left(sb, p.id(), 7).append(" logprob ");
            TextColumns.right(sb, TextColumns.fixed(p.logprob(), 4), 8).append("  p ");
            sb.append(TextColumns.fixed(Math.exp(p.logprob()), 4)).append(NL);
        }
        if (generated.length > 0) {
            sb.append("generated  ").append(generated.length).append(" tokens: ").append(quote(texts.decode(generated))).append(NL);
        }
        if (!saved.isEmpty()) sb.append("saved      ").append(saved.size()).append(" activations as .npy in ").append(outDir).append(NL);
        out.print(sb);
    }

    /** Text in double quotes with control characters escaped, so spaces and newlines show. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) sb.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
