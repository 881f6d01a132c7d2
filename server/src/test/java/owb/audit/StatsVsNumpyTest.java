package owb.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernel against numpy float64 on samples/make_audit_fixtures.py's safetensors file: counts,
 * min, max, histogram edges and counts exactly; mean, std and L2 norm within 1e-9 relative.
 */
class StatsVsNumpyTest {
    private static final double RELATIVE = 1e-9;

    @TempDir
    static Path scratch;

    private static Path folder;

    @BeforeAll
    static void fixtures() throws IOException, InterruptedException {
        String given = System.getProperty("owb.fixtures");
        if (given != null && Files.exists(Path.of(given, "audit", "stats.json"))) {
            folder = Path.of(given, "audit");
            return;
        }
        // no fixtures handed in: make them as samples/test-all.sh would
        Path script = Path.of("..", "samples", "make_audit_fixtures.py").toAbsolutePath().normalize();
        String python = System.getProperty("owb.python",
                Files.exists(Path.of("..", ".venv", "bin", "python")) ? Path.of("..", ".venv", "bin", "python").toString() : "python3");
        Process p = new ProcessBuilder(python, script.toString(), scratch.toString()).inheritIO().start();
        assumeTrue(p.waitFor() == 0, "no fixtures: " + python + " " + script + " failed (numpy missing?)");
        folder = scratch.resolve("audit");
    }

    @TestFactory
    List<DynamicTest> everyFixtureTensorMatchesNumpy() throws IOException {
        JsonNode expected = new ObjectMapper().readTree(folder.resolve("stats.json").toFile());
        Path file = folder.resolve("stats.safetensors");
        List<DynamicTest> tests = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            tests.add(DynamicTest.dynamicTest(e.getKey(), () -> check(file, e.getKey(), e.getValue())));
        }
        assertTrue(tests.size() >= 10);
        return tests;
    }

    private static void check(Path file, String name, JsonNode spec) throws IOException {
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long offset = spec.get("offset").asLong();
            long[] shape = new long[spec.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = spec.get("shape").get(i).asLong();
            TensorEntry t = new TensorEntry(name, DType.valueOf(spec.get("dtype").asText()), shape, file, offset,
                    all.asSlice(offset, spec.get("nbytes").asLong()));
            assertStatsEqual(spec.get("stats"), StatsKernel.compute(t));
        }
    }

    private static void assertStatsEqual(JsonNode want, TensorStats got) {
        assertEquals(want.get("count").asLong(), got.count(), "count");
        assertEquals(want.get("nan_count").asLong(), got.nanCount(), "nan_count");
        assertEquals(want.get("inf_count").asLong(), got.infCount(), "inf_count");
        assertEquals(want.get("zero_fraction").asDouble(), got.zeroFraction(), 1e-15, "zero_fraction");
        exact(want.get("min"), got.min(), "min");
        exact(want.get("max"), got.max(), "max");
        exact(want.get("abs_max"), got.absMax(), "abs_max");
        double scale = want.get("std").isNull() ? 0 : want.get("std").asDouble() + Math.abs(want.get("mean").asDouble());
        close(want.get("mean"), got.mean(), scale, "mean");
        close(want.get("std"), got.std(), want.get("std").asDouble(), "std");
        close(want.get("l2_norm"), got.l2Norm(), want.get("l2_norm").asDouble(), "l2_norm");
        JsonNode edges = want.get("histogram").get("edges");
        JsonNode counts = want.get("histogram").get("counts");
        for (int i = 0; i <= Histogram.BINS; i++) assertEquals(edges.get(i).asDouble(), got.histogram().edges()[i], "edge " + i);
        for (int i = 0; i < Histogram.BINS; i++) assertEquals(counts.get(i).asLong(), got.histogram().counts()[i], "bin " + i);
    }

    private static void exact(JsonNode want, double got, String what) {
        if (want.isNull()) assertTrue(Double.isNaN(got), what + " should be absent, was " + got);
        else assertEquals(want.asDouble(), got, what);
    }

    private static void close(JsonNode want, double got, double scale, String what) {
        if (want.isNull()) {
            assertTrue(Double.isNaN(got), what + " should be absent, was " + got);
            return;
        }
        assertEquals(want.asDouble(), got, RELATIVE * scale, what);
    }
}
