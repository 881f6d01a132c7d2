// STUB: replaced by the audit branch
package owb.audit;

import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** STUB: scalar statistics over F32 tensors only. */
public final class StatsKernel {
    private StatsKernel() {}

    public static TensorStats compute(TensorEntry t) {
        if (t.dtype() != DType.F32) throw new IllegalArgumentException("stub handles F32 only");
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        long n = t.numel(), finite = 0, nan = 0, inf = 0, zeros = 0;
        double sum = 0, sumSq = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (long i = 0; i < n; i++) {
            double v = t.data().get(f32, i * 4);
            if (Double.isNaN(v)) { nan++; continue; }
            if (Double.isInfinite(v)) { inf++; continue; }
            finite++; sum += v; sumSq += v * v; min = Math.min(min, v); max = Math.max(max, v);
            if (v == 0) zeros++;
        }
        double mean = finite == 0 ? Double.NaN : sum / finite;
        double std = finite == 0 ? Double.NaN : Math.sqrt(Math.max(0, sumSq / finite - mean * mean));
        double[] edges = new double[65];
        long[] counts = new long[64];
        for (int i = 0; i <= 64; i++) edges[i] = finite == 0 ? 0 : min + (max - min) * i / 64;
        for (long i = 0; i < n; i++) {
            double v = t.data().get(f32, i * 4);
            if (!Double.isFinite(v)) continue;
            int bin = max == min ? 0 : (int) Math.min(63, (v - min) / (max - min) * 64);
            counts[bin]++;
        }
        return new TensorStats(finite, mean, std, finite == 0 ? Double.NaN : min, finite == 0 ? Double.NaN : max,
                finite == 0 ? Double.NaN : Math.max(-min, max), Math.sqrt(sumSq), nan, inf,
                n == 0 ? 0 : (double) zeros / n, new Histogram(edges, counts));
    }
}
