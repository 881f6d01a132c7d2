package owb.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

/**
 * Reads a tensor's elements as floats, whatever its element type: plain types convert, ggml's
 * block types dequantize exactly as ggml does (ggml-quants.c {@code dequantize_row_*}). Elements
 * are numbered in storage order, i.e. row-major over the outermost-first shape.
 *
 * <p>The hot types (F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K) decode with the Vector API;
 * {@link #readFloatsScalar} runs the scalar code for every type and is the reference the vector
 * kernels are tested against. Both give bit-identical results.
 */
public final class TensorReader {
    private TensorReader() {}

    /** The most elements {@link #readAll} returns in one array (1 GiB of floats). */
    public static final long READ_ALL_LIMIT = 1L << 28;

    /**
     * Decodes elements {@code [firstElement, firstElement + count)} of {@code tensor} into
     * {@code out[outOffset ..]}. For block types both must be whole blocks (multiples of
     * {@link DType#blockElements()}).
     *
     * @throws IndexOutOfBoundsException when the range is outside the tensor or {@code out}
     * @throws IllegalArgumentException  when the range splits a quantization block
     */
    public static void readFloats(TensorEntry tensor, long firstElement, int count, float[] out,
                                  int outOffset) {
        decode(tensor, firstElement, count, out, outOffset, true);
    }

    /** As {@link #readFloats}, through the scalar reference code only. */
    public static void readFloatsScalar(TensorEntry tensor, long firstElement, int count,
                                        float[] out, int outOffset) {
        decode(tensor, firstElement, count, out, outOffset, false);
    }

    /**
     * Every element of a tensor of at most {@link #READ_ALL_LIMIT} elements.
     *
     * @throws IllegalArgumentException for a larger tensor: read it in ranges instead
     */
    public static float[] readAll(TensorEntry tensor) {
        long elements = tensor.numel();
        if (elements > READ_ALL_LIMIT) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' has " + elements
                    + " elements, more than readAll returns (" + READ_ALL_LIMIT
                    + "); read it in ranges with readFloats");
        }
        float[] values = new float[(int) elements];
        readFloats(tensor, 0, values.length, values, 0);
        return values;
    }

    private static void decode(TensorEntry tensor, long first, int count, float[] out,
                               int outOffset, boolean vector) {
        Objects.checkFromIndexSize(outOffset, count, out.length);
        long elements = tensor.numel();
        if (first < 0 || first > elements - count) {
            throw new IndexOutOfBoundsException("elements [" + first + ", " + (first + count)
                    + ") are outside tensor '" + tensor.name() + "' of " + elements + " elements");
        }
        DType type = tensor.dtype();
        int block = type.blockElements();
        if (first % block != 0 || count % block != 0) {
            throw new IllegalArgumentException("elements [" + first + ", " + (first + count)
                    + ") of " + type + " tensor '" + tensor.name() + "' split its " + block
                    + "-value blocks");
        }
        MemorySegment src = tensor.data();
        long at = first / block * type.blockBytes();
        int blocks = count / block;
        switch (type) {
            case F64 -> PlainDecoding.f64(src, at, count, out, outOffset);
            case F32 -> PlainDecoding.f32(src, at, count, out, outOffset);
            case F16 -> {
                if (vector) PlainDecoding.f16(src, at, count, out, outOffset);
                else PlainDecoding.f16Scalar(src, at, count, out, outOffset);
            }
            case BF16 -> {
                if (vector) PlainDecoding.bf16(src, at, count, out, outOffset);
                else PlainDecoding.bf16Scalar(src, at, count, out, outOffset);
            }
            case F8_E4M3 -> PlainDecoding.f8e4m3(src, at, count, out, outOffset);
            case F8_E5M2 -> PlainDecoding.f8e5m2(src, at, count, out, outOffset);
            case I64 -> PlainDecoding.i64(src, at, count, out, outOffset);
            case I32 -> PlainDecoding.i32(src, at, count, out, outOffset);
            case I16 -> PlainDecoding.i16(src, at, count, out, outOffset);
            case I8 -> PlainDecoding.i8(src, at, count, out, outOffset);
            case U8 -> PlainDecoding.u8(src, at, count, out, outOffset);
            case BOOL -> PlainDecoding.bool(src, at, count, out, outOffset);
            case Q4_0 -> {
                if (vector) LegacyQuantDecoding.q4_0(src, at, blocks, out, outOffset);
                else LegacyQuantDecoding.q4_0Scalar(src, at, blocks, out, outOffset);
            }
            case Q4_1 -> {
                if (vector) LegacyQuantDecoding.q4_1(src, at, blocks, out, outOffset);
                else LegacyQuantDecoding.q4_1Scalar(src, at, blocks, out, outOffset);
            }
            case Q5_0 -> LegacyQuantDecoding.q5_0Scalar(src, at, blocks, out, outOffset);
            case Q5_1 -> LegacyQuantDecoding.q5_1Scalar(src, at, blocks, out, outOffset);
            case Q8_0 -> {
                if (vector) LegacyQuantDecoding.q8_0(src, at, blocks, out, outOffset);
                else LegacyQuantDecoding.q8_0Scalar(src, at, blocks, out, outOffset);
            }
            case Q2_K -> KQuantDecoding.q2_KScalar(src, at, blocks, out, outOffset);
            case Q3_K -> KQuantDecoding.q3_KScalar(src, at, blocks, out, outOffset);
            case Q4_K -> {
                if (vector) KQuantDecoding.q4_K(src, at, blocks, out, outOffset);
                else KQuantDecoding.q4_KScalar(src, at, blocks, out, outOffset);
            }
            case Q5_K -> KQuantDecoding.q5_KScalar(src, at, blocks, out, outOffset);
            case Q6_K -> {
                if (vector) KQuantDecoding.q6_K(src, at, blocks, out, outOffset);
                else KQuantDecoding.q6_KScalar(src, at, blocks, out, outOffset);
            }
        }
    }
}
