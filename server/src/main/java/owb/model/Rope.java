package owb.model;

/**
 * Rotary position embedding (RoFormer) in Hugging Face's rotate-half layout: within a head,
 * dimension i rotates with dimension i + d_head/2 by the angle position · inv_freq[i].
 *
 * <p>GGUF llama files hold q and k weights whose rows llama.cpp's converter permuted within each
 * head so that the rotating pairs are adjacent, (2i, 2i + 1). Rather than a second rotation
 * routine, the model moves each head of a q/k activation back to the halves layout right after
 * the projection ({@link #interleavedToHalves}, one pass over [pos, heads, d_head]); from there on
 * the numbers equal the Hugging Face model's, so {@code hook_q}, {@code hook_k} and their rotated
 * hooks read the same for a GGUF file as for its safetensors original.
 *
 * <p>Frequencies and angles are computed in float32 as transformers does (it computes
 * {@code inv_freq}, the angles and cos/sin in float32 even for a float64 model).
 */
final class Rope {
    private final float[] inverseFrequencies;   // [d_head / 2]

    private Rope(float[] inverseFrequencies) {
        this.inverseFrequencies = inverseFrequencies;
    }

    /**
     * @param frequencyFactors GGUF {@code rope_freqs.weight} [d_head / 2] (llama.cpp's llama3
     *                         scaling: each frequency is divided by its factor), or null
     */
    static Rope of(ModelConfig.RopeSettings settings, int dHead, float[] frequencyFactors) {
        int half = dHead / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all float32
            float exponent = (float) (2 * i) / dHead;
            inv[i] = 1f / (float) Math.pow(settings.theta(), exponent);
        }
        switch (settings.scaling()) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < half; i++) inv[i] /= (float) settings.factor();
            }
            case "llama3" -> llama3(inv, settings);
            default -> throw new ModelException("rope scaling '" + settings.scaling() + "' is not supported");
        }
        if (frequencyFactors != null) {
            if (frequencyFactors.length != half) {
                throw new ModelException("rope_freqs.weight has " + frequencyFactors.length + " factors, the heads need " + half);
            }
            for (int i = 0; i < half; i++) inv[i] /= frequencyFactors[i];
        }
        return new Rope(inv);
    }

    /**
     * Llama 3.1's frequency scaling, as transformers' {@code _compute_llama3_parameters} (float32):
     * wavelengths shorter than original_context / high_freq_factor are kept, longer than
     * original_context / low_freq_factor divided by factor, and those in between interpolated.
     */
    private static void llama3(float[] inv, ModelConfig.RopeSettings s) {
        float factor = (float) s.factor();
        float low = (float) s.lowFreqFactor();
        float high = (float) s.highFreqFactor();
        float oldContext = s.originalContext();
        float lowFreqWavelen = (float) (s.originalContext() / s.lowFreqFactor());
        float highFreqWavelen = (float) (s.originalContext() / s.highFreqFactor());
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
            if (!(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen)) {
                float smooth = (oldContext / wavelen - low) / (high - low);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }

    float[] inverseFrequencies() { return inverseFrequencies.clone(); }

    /**
     * Rotates rows [firstRow, firstRow + n) of x [rows, heads, d_head] in place; row firstRow + i is
     * at position firstPosition + i.
     */
    void rotate(float[] x, int firstRow, int n, int heads, int firstPosition) {
        int half = inverseFrequencies.length;
        int dHead = 2 * half;
        Angles angles = angles(firstPosition + n);
        for (int i = 0; i < n; i++) {
            int t = (firstPosition + i) * half;
            for (int h = 0; h < heads; h++) {
                int at = ((firstRow + i) * heads + h) * dHead;
                for (int f = 0; f < half; f++) {
                    float a = x[at + f];
                    float b = x[at + f + half];
                    float cos = angles.cos[t + f];
                    float sin = angles.sin[t + f];
                    x[at + f] = a * cos - b * sin;
                    x[at + f + half] = b * cos + a * sin;
                }
            }
        }
    }

    /** cos and sin of position · inv_freq[f] at [position · d_head/2 + f], for positions [0, count). */
    private record Angles(int count, float[] cos, float[] sin) {}

    private volatile Angles angles = new Angles(0, new float[0], new float[0]);

    /** The angle table for at least {@code positions} positions, grown (doubling) and shared between passes. */
    private Angles angles(int positions) {
        Angles current = angles;
        if (current.count >= positions) return current;
        int count = (int) Math.min(Integer.MAX_VALUE / inverseFrequencies.length, Math.max(positions, 2L * current.count));
        int half = inverseFrequencies.length;
        float[] cos = new float[count * half];
        float[] sin = new float[count * half];
        for (int p = 0; p < count; p++) {
            for (int f = 0; f < half; f++) {
                // transformers: (inv_freq @ position_ids) in float32, then cos/sin in float32
                float angle = (float) p * inverseFrequencies[f];
                cos[p * half + f] = (float) Math.cos(angle);
                sin[p * half + f] = (float) Math.sin(angle);
            }
        }
        Angles grown = new Angles(count, cos, sin);
        angles = grown;
        return grown;
    }

    /**
     * Undoes llama.cpp's q/k row permutation ({@code LlamaModel.permute} in convert_hf_to_gguf.py)
     * on an activation [rows, d_head]: element 2j + t of a head goes back to t · d_head/2 + j.
     */
    static void interleavedToHalves(float[] x, int rows, int dHead) {
        int half = dHead / 2;
        float[] head = new float[dHead];
        for (int r = 0; r < rows; r++) {
            int at = r * dHead;
            System.arraycopy(x, at, head, 0, dHead);
            for (int j = 0; j < half; j++) {
                x[at + j] = head[2 * j];
                x[at + half + j] = head[2 * j + 1];
            }
        }
    }
}
