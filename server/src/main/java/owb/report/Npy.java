package owb.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's {@code .npy} format for float32 arrays: little-endian {@code '<f4'}, C order (the
 * format's spec: numpy.lib.format). {@link #write} emits version 1.0; {@link #read} takes versions
 * 1 to 3 of the same dtype and checks the data size against the header.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** Values per write when streaming: 256 KiB of data at a time. */
    private static final int CHUNK_FLOATS = 64 * 1024;

    private Npy() {}

    /** A float32 array and its shape, outermost first. */
    public record Array(int[] shape, float[] values) {
        public Array {
            shape = shape.clone();
        }

        @Override
        public int[] shape() { return shape.clone(); }
    }

    /** Writes values (row-major, {@code shape}) as a version 1.0 .npy file, replacing any file there. */
    public static void write(Path file, float[] values, int... shape) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(out, values, shape);
        }
    }

    /** Writes values (row-major, {@code shape}) as a version 1.0 .npy stream, in chunks; does not close {@code out}. */
    public static void write(OutputStream out, float[] values, int... shape) throws IOException {
        out.write(header(values, shape));
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < values.length; from += CHUNK_FLOATS) {
            int count = Math.min(CHUNK_FLOATS, values.length - from);
            chunk.clear();
            chunk.asFloatBuffer().put(values, from, count);
            out.write(chunk.array(), 0, count * Float.BYTES);
        }
    }

    /** Magic, version 1.0, header length and the padded header dict. */
    private static byte[] header(float[] values, int... shape) {
        long size = 1;
        for (int d : shape) size *= d;
        if (size != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size + " values, not " + values.length);
        }
        StringBuilder dims = new StringBuilder();
        for (int d : shape) dims.append(d).append(", ");
        if (shape.length > 1) dims.setLength(dims.length() - 2);      // (3,) for one axis, (2, 3) for more
        else if (shape.length == 1) dims.setLength(dims.length() - 1);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        // the header (magic, version, length, dict, padding, newline) is a multiple of 64 bytes
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + header.length());
        out.put(MAGIC).put(new byte[] {1, 0, (byte) header.length(), (byte) (header.length() >> 8)});
        out.put(header.getBytes(StandardCharsets.US_ASCII));
        return out.array();
    }

    /** Reads a float32 C-order .npy file. */
    public static Array read(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        if (in.remaining() < MAGIC.length + 4) throw new IOException(file + ": not a .npy file");
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC)) throw new IOException(file + ": not a .npy file");
        int major = in.get();
        in.get(); // minor version
        long headerLength = major == 1 ? Short.toUnsignedInt(in.getShort()) : Integer.toUnsignedLong(in.getInt());
        if (major < 1 || major > 3 || headerLength > in.remaining()) throw new IOException(file + ": bad .npy header");
        byte[] header = new byte[(int) headerLength];
        in.get(header);
        String dict = new String(header, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, dict, file);
        if (!descr.equals("<f4")) throw new IOException(file + ": dtype " + descr + ", only '<f4' is read");
        if (find(FORTRAN, dict, file).equals("True")) throw new IOException(file + ": Fortran order is not read");
        String[] dims = find(SHAPE, dict, file).split(",");
        int[] shape = Arrays.stream(dims).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        long size = 1;
        for (int d : shape) {
            if (d < 0) throw new IOException(file + ": negative dimension");
            size *= d;
            if (size > Integer.MAX_VALUE) throw new IOException(file + ": too large");
        }
        if ((long) in.remaining() != size * Float.BYTES) {
            throw new IOException(file + ": shape " + Arrays.toString(shape) + " needs " + size * Float.BYTES
                    + " data bytes, the file has " + in.remaining());
        }
        float[] values = new float[(int) size];
        in.asFloatBuffer().get(values);
        return new Array(shape, values);
    }

    private static String find(Pattern pattern, String dict, Path file) throws IOException {
        Matcher m = pattern.matcher(dict);
        if (!m.find()) throw new IOException(file + ": .npy header lacks " + pattern.pattern());
        return m.group(1);
    }
}
