package owb.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** What every benchmark report says about the machine it ran on. */
final class Machine {
    private Machine() {}

    /** The CPU's model name from /proc/cpuinfo, or the architecture where there is none. */
    static String cpuModel() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) return System.getProperty("os.arch");
        return Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse(System.getProperty("os.arch"));
    }

    /** The 1-, 5- and 15-minute load averages (only the first where /proc/loadavg cannot be read). */
    static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException | RuntimeException e) {
            return new double[] {ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()};
        }
    }

    /** CPU time of every thread of this process, JIT and GC included, in nanoseconds; -1 where the JVM cannot tell. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** Load averages as "0.46 0.98 2.17". */
    static String format(double[] load) {
        return String.join(" ", Arrays.stream(load).mapToObj(v -> String.format(Locale.ROOT, "%.2f", v)).toList());
    }
}
