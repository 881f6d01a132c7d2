package owb.checkpoint;

import java.util.Optional;

/**
 * Names of the ggml tensor type ids (ggml.h {@code enum ggml_type}, as gguf-py 0.19 lists them), so
 * that a file using a real type this reader cannot decode gets a message naming it. Ids left out
 * were removed from ggml (Q4_2, Q4_3, the Q4_0_4_4 and IQ4_NL_4_4 repacks) and are invalid in GGUF.
 */
final class GgmlTypes {
    private GgmlTypes() {}

    private static final String[] NAMES = {
        "F32", "F16", "Q4_0", "Q4_1", null, null, "Q5_0", "Q5_1", "Q8_0", "Q8_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
        "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
        "BF16", null, null, null, "TQ1_0", "TQ2_0", null, null, null, "MXFP4",
        "NVFP4", "Q1_0",
    };

    /** The ggml name of a type id, or empty when ggml has no type with that id. */
    static Optional<String> name(long id) {
        if (id < 0 || id >= NAMES.length) return Optional.empty();
        return Optional.ofNullable(NAMES[(int) id]);
    }
}
