package owb.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids of recently seen words, least recently used dropped first. Text repeats its words, so
 * most words skip the merge loop. Shared by the threads encoding with one tokenizer.
 */
final class WordCache {
    /** Longer words are rare and would crowd the cache; the tokenizers library uses the same bound. */
    static final int MAX_WORD_LENGTH = 256;

    private final LinkedHashMap<String, int[]> entries;

    WordCache(int capacity) {
        entries = new LinkedHashMap<>(capacity * 4 / 3 + 1, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized int[] get(String word) {
        return entries.get(word);
    }

    synchronized void put(String word, int[] ids) {
        if (word.length() <= MAX_WORD_LENGTH) entries.put(word, ids);
    }
}
