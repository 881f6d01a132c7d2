package owb.model;

import java.util.Arrays;

/**
 * The keys (after rotary) and values of every position a model has seen so far, per layer, so
 * that a continuation only computes its new tokens. Layout per layer: [position, kv_head, d_head].
 */
public final class KvCache {
    private final int width;                // kv_heads · d_head
    private final float[][] keys;           // [layer][position · width]
    private final float[][] values;
    private int length;

    public KvCache(ModelConfig config) {
        this.width = config.nKvHeads() * config.dHead();
        this.keys = new float[config.nLayers()][0];
        this.values = new float[config.nLayers()][0];
    }

    private KvCache(KvCache other) {
        this.width = other.width;
        this.keys = new float[other.keys.length][];
        this.values = new float[other.values.length][];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(other.keys[l], other.length * width);
            values[l] = Arrays.copyOf(other.values[l], other.length * width);
        }
        this.length = other.length;
    }

    /** A cache of the same positions that grows apart from this one (a sequence branching from a shared prefix). */
    public KvCache copy() { return new KvCache(this); }

    /** Positions cached: the next token goes at this position. */
    public int length() { return length; }

    /** Forgets positions from {@code newLength} on (e.g. to branch from a shared prompt). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) throw new IllegalArgumentException("cannot truncate " + length + " positions to " + newLength);
        length = newLength;
    }

    /** Makes room for {@code positions} positions in every layer. */
    void reserve(int positions) {
        long needed = (long) positions * width;
        if (needed > Integer.MAX_VALUE - 16) throw new ModelException(positions + " positions do not fit the KV cache");
        for (int l = 0; l < keys.length; l++) {
            if (keys[l].length < needed) {
                int grown = (int) Math.min(Integer.MAX_VALUE - 16, Math.max(needed, 2L * keys[l].length));
                keys[l] = Arrays.copyOf(keys[l], grown);
                values[l] = Arrays.copyOf(values[l], grown);
            }
        }
    }

    /** Stores rows [fromRow, fromRow + n) of one layer's k, v [rows, kv_heads, d_head] at positions [start, start + n). */
    void put(int layer, int start, float[] k, float[] v, int fromRow, int n) {
        System.arraycopy(k, fromRow * width, keys[layer], start * width, n * width);
        System.arraycopy(v, fromRow * width, values[layer], start * width, n * width);
    }

    float[] keys(int layer) { return keys[layer]; }

    float[] values(int layer) { return values[layer]; }

    /** Counts the n positions every layer has just stored. */
    void advance(int n) { length += n; }
}
