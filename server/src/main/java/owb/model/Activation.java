package owb.model;

import java.util.Arrays;

/**
 * One activation at a hook point: row-major floats and their shape, outermost first, as
 * TransformerLens shapes it without the batch dimension (e.g. {@code [pos, d_model]},
 * {@code [pos, head, d_head]}, {@code [head, query_pos, key_pos]}).
 *
 * <p>Inside a {@link HookFn} it is a view of the forward pass's own buffer: writing to
 * {@code data} changes what the model computes next. The view is valid only during the call;
 * {@link ActivationCache} holds copies.
 */
public record Activation(float[] data, int[] shape) {

    public Activation {
        long size = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            size *= d;
        }
        if (size != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + size
                    + " values, data has " + data.length);
        }
    }

    @Override
    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public int dim(int axis) { return shape[axis]; }

    public int size() { return data.length; }

    /** The flat index of an element, checked against the shape. */
    public int index(int... at) {
        if (at.length != shape.length) {
            throw new IllegalArgumentException(at.length + " indices for shape " + Arrays.toString(shape));
        }
        int flat = 0;
        for (int i = 0; i < at.length; i++) {
            if (at[i] < 0 || at[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(at) + " outside " + Arrays.toString(shape));
            }
            flat = flat * shape[i] + at[i];
        }
        return flat;
    }

    public float get(int... at) { return data[index(at)]; }

    public void set(float value, int... at) { data[index(at)] = value; }

    public Activation copy() { return new Activation(data.clone(), shape); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Activation a && Arrays.equals(a.shape, shape) && Arrays.equals(a.data, data);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(shape) * 31 + Arrays.hashCode(data); }

    @Override
    public String toString() { return "Activation" + Arrays.toString(shape); }
}
