package owb.probe;

import owb.model.FinalNorm;
import owb.model.LanguageModel;

/**
 * logit(a) − logit(b) read straight off a residual-stream vector leaving the last block: the
 * model's final norm applied to that one row (as {@code Norm} computes it), dotted with
 * W_U[a] − W_U[b] — two rows of the unembedding instead of all of it.
 *
 * @param direction W_U[a] − W_U[b] [d_model]
 */
record LogitDifference(FinalNorm norm, float[] direction) {

    static LogitDifference of(LanguageModel model, int a, int b) {
        float[] u = model.unembeddingRow(a);
        float[] v = model.unembeddingRow(b);
        for (int j = 0; j < u.length; j++) u[j] -= v[j];
        return new LogitDifference(model.finalNorm(), u);
    }

    /** The logit difference of row {@code row} of resid [n, d_model]. */
    double of(float[] resid, int row) {
        int d = direction.length;
        int at = row * d;
        float mean = 0;
        if (norm.centered()) {
            double sum = 0;
            for (int j = 0; j < d; j++) sum += resid[at + j];
            mean = (float) (sum / d);
        }
        double squares = 0;
        for (int j = 0; j < d; j++) {
            float c = resid[at + j] - mean;
            squares += (double) c * c;
        }
        float scale = (float) Math.sqrt((float) (squares / d) + norm.eps());
        double diff = 0;
        for (int j = 0; j < d; j++) {
            double y = (resid[at + j] - mean) / scale * norm.weight()[j];
            if (norm.bias() != null) y += norm.bias()[j];
            diff += y * direction[j];
        }
        return diff;
    }
}
