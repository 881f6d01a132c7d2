package owb.diff;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What part of a transformer a tensor belongs to, read from its canonical (Hugging Face) name. */
public enum ModuleKind {
    ATTN_Q("attn.q"), ATTN_K("attn.k"), ATTN_V("attn.v"), ATTN_QKV("attn.qkv"), ATTN_O("attn.o"),
    MLP_GATE("mlp.gate"), MLP_UP("mlp.up"), MLP_DOWN("mlp.down"), NORM("norm"),
    EMBEDDING("embedding"), LM_HEAD("lm_head"), OTHER("other");

    private final String label;

    ModuleKind(String label) { this.label = label; }

    public String label() { return label; }

    private static final Pattern LAYER = Pattern.compile("(?:model\\.layers|transformer\\.h|layers|h)\\.(\\d+)\\..*");

    /** The block index of a canonical name, or -1 for tensors outside the blocks. */
    public static int layer(String name) {
        Matcher m = LAYER.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    public static ModuleKind of(String name) {
        String n = name.replaceAll("\\.(weight|bias)$", "");
        if (n.endsWith("q_proj")) return ATTN_Q;
        if (n.endsWith("k_proj")) return ATTN_K;
        if (n.endsWith("v_proj")) return ATTN_V;
        if (n.endsWith("o_proj") || n.endsWith("attn.c_proj")) return ATTN_O;
        if (n.endsWith("c_attn")) return ATTN_QKV;
        if (n.endsWith("gate_proj")) return MLP_GATE;
        if (n.endsWith("up_proj") || n.endsWith("mlp.c_fc")) return MLP_UP;
        if (n.endsWith("down_proj") || n.endsWith("mlp.c_proj")) return MLP_DOWN;
        if (n.contains("norm") || n.matches(".*\\.ln_\\w+")) return NORM;
        if (n.endsWith("embed_tokens") || n.endsWith("wte") || n.endsWith("wpe")) return EMBEDDING;
        if (n.equals("lm_head")) return LM_HEAD;
        return OTHER;
    }
}
