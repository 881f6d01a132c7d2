package owb.audit;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class ValueTableJobTest {
    /** Four streams and the tail between them count every value once, at any length and alignment. */
    @Test
    void countsEveryValueOnceWhateverTheLength() {
        SplittableRandom r = new SplittableRandom(5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(2 * 200 + 2);
            for (long i = 0; i < data.byteSize() / 2; i++) {
                data.set(VectorKernels.SHORT_LE, 2 * i, (short) (r.nextBoolean() ? r.nextInt(8) : r.nextInt(65536)));
            }
            for (int n = 0; n <= 200; n++) {
                for (long offset : new long[] {0, 2}) {
                    int[] want = new int[1 << 16];
                    for (int i = 0; i < n; i++) want[data.get(VectorKernels.SHORT_LE, offset + 2L * i) & 0xffff]++;
                    int[] got = new int[1 << 16];
                    ValueTableJob.countValues(data, offset, n, got);
                    assertArrayEquals(want, got, "n " + n + ", offset " + offset);
                }
            }
        }
    }
}
