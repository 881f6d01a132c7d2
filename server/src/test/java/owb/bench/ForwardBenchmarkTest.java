package owb.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class ForwardBenchmarkTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, Median.of(new double[] {3, 1, 2}));
        assertEquals(2.5, Median.of(new double[] {4, 1, 3, 2}));
    }

    @Test
    void timingWarmsUpOnceThenTimesEachRepeat() {
        AtomicInteger calls = new AtomicInteger();
        ForwardBenchmark.Timing t = ForwardBenchmark.time(100, calls::incrementAndGet, 3);
        assertEquals(4, calls.get());
        assertEquals(3, t.runs());
        assertTrue(t.tokensPerSecondMin() <= t.tokensPerSecondMedian());
        assertTrue(t.tokensPerSecondMedian() <= t.tokensPerSecondMax());
    }

    @Test
    void badOptionsAreUsageErrors() {
        for (List<String> args : List.of(List.of("--repeat", "0"), List.of("--lengths"), List.of("--bogus"),
                List.of("--threads", "two"))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = ForwardBenchmark.run(args, new PrintStream(new ByteArrayOutputStream()),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(2, rc, args.toString());
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: owb bench forward"), args.toString());
        }
    }
}
