package owb.tokenizer;

import java.util.Arrays;

/**
 * What a tokenizer.json post-processor does to one sequence when special tokens are asked for:
 * ids before it (Llama's BOS) and after it. TemplateProcessing, Bert/RobertaProcessing and
 * Sequence all reduce to that for a single text; ByteLevel changes only offsets.
 */
record PostProcessor(int[] prefix, int[] suffix) {

    static final PostProcessor NONE = new PostProcessor(new int[0], new int[0]);

    int[] apply(int[] ids) {
        int[] out = new int[prefix.length + ids.length + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(ids, 0, out, prefix.length, ids.length);
        System.arraycopy(suffix, 0, out, prefix.length + ids.length, suffix.length);
        return out;
    }

    /** This one, then the next around its result. */
    PostProcessor then(PostProcessor next) {
        return new PostProcessor(concat(next.prefix, prefix), concat(suffix, next.suffix));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
