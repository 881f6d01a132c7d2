package owb.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import owb.testing.GgufFixtures;

class NpyTest {

    @Test
    void writtenArraysReadBackWithTheirShape(@TempDir Path dir) throws IOException {
        for (int[] shape : List.of(new int[] {}, new int[] {3}, new int[] {2, 3}, new int[] {2, 1, 4})) {
            int size = 1;
            for (int d : shape) size *= d;
            float[] values = new float[size];
            for (int i = 0; i < size; i++) values[i] = i * 0.5f - 1;
            Path file = dir.resolve("a" + shape.length + ".npy");
            Npy.write(file, values, shape);
            assertEquals(0, Files.size(file) - values.length * 4L & 63, "header padded to 64 bytes");
            Npy.Array back = Npy.read(file);
            assertArrayEquals(shape, back.shape());
            assertArrayEquals(values, back.values());
        }
    }

    @Test
    void aStreamGetsTheSameBytesAsAFile(@TempDir Path dir) throws IOException {
        float[] values = new float[200_000];                       // more than one chunk
        for (int i = 0; i < values.length; i++) values[i] = (float) Math.sin(i);
        Path file = dir.resolve("s.npy");
        Npy.write(file, values, 400, 500);
        java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
        Npy.write(stream, values, 400, 500);
        assertArrayEquals(Files.readAllBytes(file), stream.toByteArray());
    }

    @Test
    void numpyReadsWhatWeWrite(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("x.npy");
        Npy.write(file, new float[] {1.5f, -2, 3, 4, 5, 6.25f}, 2, 3);
        String out = GgufFixtures.run(List.of(GgufFixtures.python(), "-c",
                "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a[1, 2], a[0, 0])",
                file.toString()));
        assertEquals("float32 (2, 3) 6.25 1.5", out.strip());
    }

    @Test
    void aShapeThatDoesNotFitTheValuesIsRefused(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("x.npy"), new float[5], 2, 3));
    }

    @Test
    void aTruncatedFileIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("x.npy");
        Npy.write(file, new float[6], 2, 3);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 4));
        assertThrows(IOException.class, () -> Npy.read(file));
    }
}
