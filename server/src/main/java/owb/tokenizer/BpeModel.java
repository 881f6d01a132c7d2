package owb.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * Byte-pair encoding of one pre-tokenized word, as the tokenizers library's BPE model does it:
 * the word starts as one symbol per character (or per byte, through {@code <0xNN>} tokens, when a
 * character is not in the vocabulary and byte fallback is on); then, repeatedly, the adjacent pair
 * with the lowest merge rank (leftmost on ties) becomes one symbol, until no pair merges. A
 * priority queue over a linked list of symbols makes that O(n log n) per word.
 */
final class BpeModel {

    /**
     * @param unkToken                stands for characters that are neither in the vocabulary nor
     *                                byte-fallback tokens; null drops them (as the library does)
     * @param continuingSubwordPrefix put before every character but a word's first (WordPiece style), or null
     * @param endOfWordSuffix         put after a word's last character, or null
     * @param fuseUnk                 consecutive unknown characters become one unk token
     * @param byteFallback            unknown characters become their UTF-8 bytes as {@code <0xNN>} tokens
     * @param ignoreMerges            a word that is a token is that token, whatever the merges (Llama 3)
     */
    record Options(String unkToken, String continuingSubwordPrefix, String endOfWordSuffix,
                   boolean fuseUnk, boolean byteFallback, boolean ignoreMerges) {
        static final Options BYTE_LEVEL = new Options(null, null, null, false, false, false);
    }

    /** Vocabulary ids must stay below this: a hostile file cannot make us allocate more. */
    static final int MAX_ID = 1 << 24;

    private final Map<String, Integer> idsByToken;
    private final String[] tokensById;
    private final String source;
    /** The merges in rank order, until the table is built from them; then null. */
    private Supplier<List<String[]>> mergeList;
    private volatile MergeTable merges;
    private final Options options;
    private final int[] byteFallbackIds = new int[256];
    private final WordCache cache = new WordCache(10_000);

    /**
     * A model with its merge table built and checked now.
     *
     * @param vocab  token -> id
     * @param merges pairs (left, right) in rank order
     * @param source names the file or metadata, for errors
     */
    BpeModel(Map<String, Integer> vocab, List<String[]> merges, Options options, String source) {
        this(vocab, () -> merges, options, source);
        mergeTable();
    }

    /**
     * A model whose merges are read and checked when text is first encoded: decoding ids, all a
     * command given token ids needs, never uses them, and reading SmolLM2's 48,900 merges and
     * building their table was a third of the time its tokenizer.json took to read cold.
     */
    BpeModel(Map<String, Integer> vocab, Supplier<List<String[]>> merges, Options options, String source) {
        this.options = options;
        this.source = source;
        this.mergeList = merges;
        this.idsByToken = new HashMap<>(vocab);
        int maxId = -1;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (id < 0 || id >= MAX_ID) {
                throw new TokenizerException(source, "token " + quote(e.getKey()) + " has id " + id
                        + ", outside [0, " + MAX_ID + ")");
            }
            maxId = Math.max(maxId, id);
        }
        this.tokensById = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) tokensById[e.getValue()] = e.getKey();

        for (int b = 0; b < 256; b++) {
            Integer id = options.byteFallback() ? vocab.get(byteToken(b)) : null;
            byteFallbackIds[b] = id == null ? -1 : id;
        }
        if (options.unkToken() != null && !vocab.containsKey(options.unkToken())) {
            throw new TokenizerException(source, "unk_token " + quote(options.unkToken()) + " is not in the vocabulary");
        }
    }

    /** The merge table, built from the merges on first use; a merge naming a token outside the vocabulary fails here. */
    private MergeTable mergeTable() {
        MergeTable table = merges;
        if (table != null) return table;
        synchronized (this) {
            if (merges == null) {
                List<String[]> list = mergeList.get();
                table = new MergeTable(list.size());
                String prefix = options.continuingSubwordPrefix();
                for (int rank = 0; rank < list.size(); rank++) {
                    String left = list.get(rank)[0];
                    String right = list.get(rank)[1];
                    String merged = left + (prefix != null && right.startsWith(prefix) ? right.substring(prefix.length()) : right);
                    table.put(requireId(left, rank), requireId(right, rank), rank, requireId(merged, rank));
                }
                merges = table;
                mergeList = null;
            }
            return merges;
        }
    }

    /** Appends the ids of one word. */
    void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        if (options.ignoreMerges()) {
            Integer id = idsByToken.get(word);
            if (id != null) {
                out.add(id);
                return;
            }
        }
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = merge(word);
            cache.put(word, ids);
        }
        out.addAll(ids);
    }

    /** The token of an id, or null when no token has it. */
    String token(int id) {
        return id >= 0 && id < tokensById.length ? tokensById[id] : null;
    }

    OptionalInt id(String token) {
        Integer id = idsByToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** One more than the highest id. */
    int idLimit() { return tokensById.length; }

    static String byteToken(int b) {
        return String.format("<0x%02X>", b);
    }

    private int[] merge(String word) {
        MergeTable merges = mergeTable();
        IntList symbols = initialSymbols(word);
        int n = symbols.size();
        if (n == 0) return new int[0];
        int[] ids = symbols.toArray();
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] merged = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Entries are (rank << 32 | position): the lowest rank first, the leftmost on ties.
        LongMinHeap queue = new LongMinHeap(n);
        for (int i = 0; i + 1 < n; i++) offer(queue, merges, ids, i, i + 1);
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (merged[pos] || right < 0) continue;
            long found = merges.find(ids[pos], ids[right]);
            // A stale entry: the pair at pos changed since it was queued.
            if (found < 0 || MergeTable.rank(found) != rank) continue;
            ids[pos] = MergeTable.merged(found);
            merged[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) offer(queue, merges, ids, prev[pos], pos);
            if (next[pos] >= 0) offer(queue, merges, ids, pos, next[pos]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) out.add(ids[i]);
        return out.toArray();
    }

    private static void offer(LongMinHeap queue, MergeTable merges, int[] ids, int left, int right) {
        long found = merges.find(ids[left], ids[right]);
        if (found >= 0) queue.add(((long) MergeTable.rank(found) << 32) | left);
    }

    /**
     * One symbol per character; an unknown character becomes its byte tokens or the unk token.
     * Mirrors the library's order, where a pending (fused) unk is flushed only by the next known
     * character or the end of the word.
     */
    private IntList initialSymbols(String word) {
        IntList symbols = new IntList(word.length());
        String prefix = options.continuingSubwordPrefix();
        String suffix = options.endOfWordSuffix();
        int pendingUnk = -1;
        for (int i = 0; i < word.length(); ) {
            int end = i + Character.charCount(word.codePointAt(i));
            String symbol = word.substring(i, end);
            if (i > 0 && prefix != null) symbol = prefix + symbol;
            if (end == word.length() && suffix != null) symbol = symbol + suffix;
            i = end;
            Integer id = idsByToken.get(symbol);
            if (id != null) {
                if (pendingUnk >= 0) {
                    symbols.add(pendingUnk);
                    pendingUnk = -1;
                }
                symbols.add(id);
                continue;
            }
            if (options.byteFallback() && addBytes(symbol, symbols)) continue;
            if (options.unkToken() != null) {
                int unk = idsByToken.get(options.unkToken());
                if (pendingUnk >= 0 && !options.fuseUnk()) symbols.add(pendingUnk);
                pendingUnk = unk;
            }
        }
        if (pendingUnk >= 0) symbols.add(pendingUnk);
        return symbols;
    }

    /** Adds the symbol's UTF-8 bytes as byte tokens, if the vocabulary has every one of them. */
    private boolean addBytes(String symbol, IntList symbols) {
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteFallbackIds[b & 0xFF] < 0) return false;
        }
        for (byte b : bytes) symbols.add(byteFallbackIds[b & 0xFF]);
        return true;
    }

    private int requireId(String token, int rank) {
        Integer id = idsByToken.get(token);
        if (id == null) {
            throw new TokenizerException(source, "merge #" + (rank + 1) + " needs token " + quote(token)
                    + ", which is not in the vocabulary");
        }
        return id;
    }

    static String quote(String token) {
        return '"' + token.replace("\n", "\\n").replace("\r", "\\r") + '"';
    }

    /** A binary min-heap of longs. */
    private static final class LongMinHeap {
        private long[] heap;
        private int size;

        LongMinHeap(int capacity) { heap = new long[Math.max(capacity, 4)]; }

        boolean isEmpty() { return size == 0; }

        void add(long value) {
            if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] <= value) break;
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = value;
        }

        long poll() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && heap[child + 1] < heap[child]) child++;
                if (heap[child] >= last) break;
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }
}
