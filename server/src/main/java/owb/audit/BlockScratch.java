package owb.audit;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Per-thread buffers for one block, reused across blocks and tensors. */
final class BlockScratch {
    /** Values per block: the float buffer (16 KiB) and the block's pair indices stay in L1. */
    static final int BLOCK = 4096;

    private static final ThreadLocal<BlockScratch> PER_THREAD = ThreadLocal.withInitial(BlockScratch::new);

    final float[] floats = new float[BLOCK];
    final MemorySegment buffer = MemorySegment.ofArray(floats);
    /**
     * Where vector kernels read a block held in {@link #floats}: off-heap, so that they only ever
     * see native memory (this or a mapped file). Fed heap segments too, C2 compiles every access
     * for both kinds, and the F32 kernels ran 15-20% slower on mapped files.
     */
    private final MemorySegment offHeap = Arena.ofAuto().allocate(4L * BLOCK, 64);
    /** A block of 16-bit values as little-endian ints, two values each. */
    final int[] halves = new int[BLOCK / 2 + 1];
    final int[] pairIndex = new int[BLOCK / 2];
    final int[] pairCounts = new int[VectorKernels.PAIR_SLOTS];
    final double[] lanes = new double[VectorKernels.D.length()];
    /** Where the current block's floats are: the mapped data or {@link #buffer}. */
    MemorySegment segment;
    long offset;

    static BlockScratch get() { return PER_THREAD.get(); }

    void pointAt(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
    }

    void pointAtBuffer() { pointAt(buffer, 0); }

    boolean inBuffer() { return segment == buffer; }

    /** Makes {@link #floats} hold the current block (a no-op when it already does). */
    void copyToBuffer(int count) {
        if (!inBuffer()) {
            MemorySegment.copy(segment, VectorKernels.FLOAT_LE, offset, floats, 0, count);
            pointAtBuffer();
        }
    }

    /** Makes the block readable by the vector kernels at {@link #segment}: a block in {@link #floats} is copied off-heap. */
    void forVectors(int count) {
        if (inBuffer()) {
            MemorySegment.copy(floats, 0, offHeap, VectorKernels.FLOAT_LE, 0, count);
            pointAt(offHeap, 0);
        }
    }

    /** Copies {@code count} 16-bit values from {@code src} into {@link #halves}. */
    void copyHalves(MemorySegment src, long byteOffset, int count) {
        int whole = count / 2;
        MemorySegment.copy(src, VectorKernels.INT_LE, byteOffset, halves, 0, whole);
        if (count % 2 == 1) halves[whole] = src.get(VectorKernels.SHORT_LE, byteOffset + 4L * whole) & 0xffff;
    }
}
