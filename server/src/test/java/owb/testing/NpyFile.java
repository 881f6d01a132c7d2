package owb.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A float32 {@code .npy} array (NumPy format versions 1-3, little-endian, C order), enough to read
 * the reference values the fixture scripts write.
 */
public record NpyFile(long[] shape, float[] values) {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static NpyFile read(Path path) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        in.get(magic);
        if (!Arrays.equals(magic, "\u0093NUMPY".getBytes(StandardCharsets.ISO_8859_1))) {
            throw new IOException(path + ": not a .npy file");
        }
        int major = in.get();
        in.get(); // minor version
        int headerLength = major == 1 ? Short.toUnsignedInt(in.getShort()) : in.getInt();
        byte[] header = new byte[headerLength];
        in.get(header);
        String dict = new String(header, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        String descr = find(DESCR, dict, path);
        if (!descr.equals("<f4")) throw new IOException(path + ": dtype " + descr + ", expected <f4");
        if (find(FORTRAN, dict, path).equals("True")) throw new IOException(path + ": Fortran order");
        long[] shape = Arrays.stream(find(SHAPE, dict, path).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();

        float[] values = new float[(int) Arrays.stream(shape).reduce(1, Math::multiplyExact)];
        in.asFloatBuffer().get(values);
        return new NpyFile(shape, values);
    }

    private static String find(Pattern pattern, String dict, Path path) throws IOException {
        Matcher m = pattern.matcher(dict);
        if (!m.find()) throw new IOException(path + ": header lacks " + pattern + ": " + dict);
        return m.group(1);
    }
}
