package owb.tokenizer;

/**
 * A stretch of (normalized) text on its way to the model.
 *
 * @param atStart whether it begins where the input text begins; Metaspace's "first" scheme puts
 *                its ▁ only there
 */
record Piece(String text, boolean atStart) {}
