package owb.tokenizer;

import java.util.Arrays;

/** A growable list of ints: token ids on their way out of the pipeline. */
final class IntList {
    private int[] values;
    private int size;

    IntList() { this(16); }

    IntList(int capacity) { values = new int[Math.max(capacity, 4)]; }

    void add(int value) {
        if (size == values.length) values = Arrays.copyOf(values, size * 2);
        values[size++] = value;
    }

    void addAll(int[] more) {
        for (int v : more) add(v);
    }

    int size() { return size; }

    int get(int index) { return values[index]; }

    int[] toArray() { return Arrays.copyOf(values, size); }
}
