package owb.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.TensorEntry;
import owb.checkpoint.TensorNames;
import owb.tensor.TensorReader;
import owb.tensor.WeightRows;

/**
 * Binds a checkpoint's tensors to a family's forward pass. Weights are named by their Hugging
 * Face names and looked up under the GGUF name for GGUF files ({@link TensorNames}); every shape
 * is checked against the configuration before anything runs. Matrices stay in their stored
 * encoding; only norm weights, biases and rotary factors (vectors) are decoded to floats.
 */
public final class ModelLoader {
    /** Weight encodings the matmul kernels take (as the message names them). */
    private static final String MATRIX_TYPES = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K";

    private ModelLoader() {}

    /**
     * @throws ModelException when the architecture is not supported, or a weight is missing or
     *                        does not have the shape the configuration implies
     */
    public static LanguageModel load(Checkpoint checkpoint) {
        ModelConfig cfg;
        try {
            cfg = ModelConfig.of(checkpoint);
        } catch (ModelException e) {
            throw new ModelException(checkpoint.path() + ": " + e.getMessage());
        }
        Source src = new Source(checkpoint, cfg);
        return switch (cfg.family()) {
            case GPT2 -> gpt2(cfg, src);
            case LLAMA -> llama(cfg, src);
        };
    }

    private static LanguageModel gpt2(ModelConfig cfg, Source src) {
        int d = cfg.dModel();
        int width = cfg.nHeads() * cfg.dHead();
        List<Gpt2Model.Layer> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String h = "transformer.h." + l + ".";
            layers.add(new Gpt2Model.Layer(
                    src.layerNorm(h + "ln_1", d),
                    src.conv1d(h + "attn.c_attn", d, 3 * width),
                    src.conv1d(h + "attn.c_proj", width, d),
                    src.layerNorm(h + "ln_2", d),
                    src.conv1d(h + "mlp.c_fc", d, cfg.dMlp()),
                    src.conv1d(h + "mlp.c_proj", cfg.dMlp(), d)));
        }
        Embedding wte = src.embedding("transformer.wte.weight", cfg.dVocab(), d);
        Embedding wpe = src.embedding("transformer.wpe.weight", cfg.nCtx(), d);
        return new Gpt2Model(cfg, new Gpt2Model.Weights(wte, wpe, layers, src.layerNorm("transformer.ln_f", d),
                src.unembedding(wte, cfg)));
    }

    private static LanguageModel llama(ModelConfig cfg, Source src) {
        int d = cfg.dModel();
        int qWidth = cfg.nHeads() * cfg.dHead();
        int kvWidth = cfg.nKvHeads() * cfg.dHead();
        boolean qkvBias = cfg.architecture().equals("qwen2");
        List<LlamaModel.Layer> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String m = "model.layers." + l + ".";
            layers.add(new LlamaModel.Layer(
                    src.rmsNorm(m + "input_layernorm", d),
                    src.linear(m + "self_attn.q_proj", qWidth, d, qkvBias),
                    src.linear(m + "self_attn.k_proj", kvWidth, d, qkvBias),
                    src.linear(m + "self_attn.v_proj", kvWidth, d, qkvBias),
                    src.linear(m + "self_attn.o_proj", d, qWidth, false),
                    src.rmsNorm(m + "post_attention_layernorm", d),
                    src.linear(m + "mlp.gate_proj", cfg.dMlp(), d, false),
                    src.linear(m + "mlp.up_proj", cfg.dMlp(), d, false),
                    src.linear(m + "mlp.down_proj", d, cfg.dMlp(), false)));
        }
        Embedding embed = src.embedding("model.embed_tokens.weight", cfg.dVocab(), d);
        boolean gguf = src.checkpoint.format() == Checkpoint.Format.GGUF;
        float[] ropeFactors = gguf ? src.checkpoint.tensor("rope_freqs.weight")
                .map(t -> src.vector(t, cfg.dHead() / 2)).orElse(null) : null;
        Rope rope = Rope.of(cfg.rope(), cfg.dHead(), ropeFactors);
        // llama.cpp permutes q/k rows for its "llama" architecture only (Qwen2 keeps the halves layout)
        boolean interleaved = gguf && cfg.architecture().equals("llama");
        return new LlamaModel(cfg, new LlamaModel.Weights(embed, layers, src.rmsNorm("model.norm", d),
                src.unembedding(embed, cfg), rope, interleaved));
    }

    /** The checkpoint's tensors by Hugging Face name. */
    private record Source(Checkpoint checkpoint, ModelConfig cfg) {

        private boolean gguf() { return checkpoint.format() == Checkpoint.Format.GGUF; }

        /** The name the file uses for a Hugging Face tensor name. */
        private String fileName(String hfName) {
            if (!gguf()) return hfName;
            String family = cfg.family() == ModelConfig.Family.GPT2 ? "gpt2" : "llama";
            return TensorNames.hfToGguf(hfName, family).orElse(hfName);
        }

        Optional<TensorEntry> find(String hfName) {
            Optional<TensorEntry> t = checkpoint.tensor(fileName(hfName));
            if (t.isEmpty() && !gguf() && hfName.startsWith("transformer.")) {
                t = checkpoint.tensor(hfName.substring("transformer.".length())); // saved from GPT2Model
            }
            return t;
        }

        TensorEntry require(String hfName) {
            return find(hfName).orElseThrow(() -> new ModelException(checkpoint.path() + ": the model needs tensor '"
                    + fileName(hfName) + "', which the checkpoint lacks"));
        }

        private TensorEntry shaped(TensorEntry t, long... shape) {
            if (!Arrays.equals(t.shape(), shape)) {
                throw new ModelException(checkpoint.path() + ": tensor '" + t.name() + "' has shape " + t.shapeString()
                        + ", the configuration needs " + Arrays.toString(shape));
            }
            return t;
        }

        private TensorEntry matrix(TensorEntry t, long rows, long cols, long blockAxisLength) {
            shaped(t, rows, cols);
            if (!WeightRows.supports(t.dtype())) {
                throw new ModelException(checkpoint.path() + ": tensor '" + t.name() + "' is " + t.dtype()
                        + "; the forward pass takes " + MATRIX_TYPES);
            }
            if (blockAxisLength % t.dtype().blockElements() != 0) {
                throw new ModelException(checkpoint.path() + ": tensor '" + t.name() + "' rows of " + blockAxisLength
                        + " values are not whole " + t.dtype() + " blocks");
            }
            return t;
        }

        /** An nn.Linear weight [out, in] (every GGUF matrix too), with its bias [out] when there is one. */
        Linear linear(String module, int out, int in, boolean biasRequired) {
            TensorEntry w = matrix(require(module + ".weight"), out, in, in);
            String biasName = module + ".bias";
            float[] bias = biasRequired ? vector(require(biasName), out)
                    : find(biasName).map(t -> vector(t, out)).orElse(null);
            return new StoredLinear(w, bias);
        }

        /** GPT-2's Conv1D: [in, out] in Hugging Face files, transposed to [out, in] in GGUF. */
        Linear conv1d(String module, int in, int out) {
            float[] bias = vector(require(module + ".bias"), out);
            TensorEntry w = require(module + ".weight");
            if (gguf()) return new StoredLinear(matrix(w, out, in, in), bias);
            return new Conv1dLinear(matrix(w, in, out, out), bias);
        }

        Embedding embedding(String hfName, int rows, int dim) {
            TensorEntry t = require(hfName);
            if (t.rank() != 2 || t.dim(1) != dim || t.dim(0) < rows) {
                throw new ModelException(checkpoint.path() + ": tensor '" + t.name() + "' has shape " + t.shapeString()
                        + ", the configuration needs [" + rows + ", " + dim + "]");
            }
            if (t.dtype().blockElements() > 1 && !WeightRows.supports(t.dtype())) {
                throw new ModelException(checkpoint.path() + ": tensor '" + t.name() + "' is " + t.dtype()
                        + "; the forward pass takes " + MATRIX_TYPES);
            }
            return new Embedding(t);
        }

        /** lm_head / output, or the token embedding when tied or absent. */
        Linear unembedding(Embedding tokens, ModelConfig cfg) {
            Optional<TensorEntry> head = cfg.tieWordEmbeddings() ? Optional.empty() : find("lm_head.weight");
            TensorEntry w = head.orElse(tokens.table());
            return new StoredLinear(matrix(w, cfg.dVocab(), cfg.dModel(), cfg.dModel()), null);
        }

        Norm layerNorm(String module, int d) {
            return new Norm(Norm.Kind.LAYER_NORM, vector(require(module + ".weight"), d),
                    vector(require(module + ".bias"), d), cfg.normEps());
        }

        Norm rmsNorm(String module, int d) {
            return new Norm(Norm.Kind.RMS_NORM, vector(require(module + ".weight"), d), null, cfg.normEps());
        }

        float[] vector(TensorEntry t, int size) {
            shaped(t, size);
            if (t.dtype().blockElements() > 1 && size % t.dtype().blockElements() != 0) {
                throw new ModelException(checkpoint.path() + ": tensor '" + t.name() + "' of " + size
                        + " values is not whole " + t.dtype() + " blocks");
            }
            return TensorReader.readAll(t);
        }
    }
}
