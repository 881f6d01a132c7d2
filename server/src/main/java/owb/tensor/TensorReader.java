// STUB: replaced by the gguf branch
package owb.tensor;

import owb.checkpoint.CheckpointException;
import owb.checkpoint.TensorEntry;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Decodes a run of a tensor's elements to floats. This stub handles only F32, F16 and BF16; the
 * gguf branch's version decodes every dtype, quantized ones included.
 */
public final class TensorReader {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorReader() {}

    /**
     * Writes elements {@code [firstElement, firstElement + count)} of {@code t}, in file order, to
     * {@code out[outOffset ..]}. For block types both bounds must be multiples of the block size.
     */
    public static void readFloats(TensorEntry t, long firstElement, int count, float[] out, int outOffset) {
        MemorySegment data = t.data();
        switch (t.dtype()) {
            case F32 -> {
                for (int i = 0; i < count; i++) out[outOffset + i] = data.getAtIndex(F32, firstElement + i);
            }
            case F16 -> {
                for (int i = 0; i < count; i++) out[outOffset + i] = Float.float16ToFloat(data.getAtIndex(U16, firstElement + i));
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) out[outOffset + i] = Float.intBitsToFloat(data.getAtIndex(U16, firstElement + i) << 16);
            }
            default -> throw new CheckpointException(t.file(), t.name(), t.fileOffset(),
                    "reading " + t.dtype() + " is not supported yet");
        }
    }
}
