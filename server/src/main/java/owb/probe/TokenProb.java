package owb.probe;

/** A token with its probability under one distribution. */
public record TokenProb(int id, String text, double prob) {}
