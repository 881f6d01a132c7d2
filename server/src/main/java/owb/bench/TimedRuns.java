package owb.bench;

/**
 * One untimed warm-up run, then {@code repeat} timed runs of the same work: each run's wall-clock
 * seconds and this process's CPU seconds (all threads; NaN where the JVM cannot tell).
 */
record TimedRuns(double[] walls, double[] cpus) {

    static TimedRuns of(Runnable pass, int repeat) {
        pass.run();
        double[] walls = new double[repeat];
        double[] cpus = new double[repeat];
        for (int r = 0; r < repeat; r++) {
            long c0 = Machine.processCpuNanos();
            long t0 = System.nanoTime();
            pass.run();
            walls[r] = (System.nanoTime() - t0) / 1e9;
            long c1 = Machine.processCpuNanos();
            cpus[r] = c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e9;
        }
        return new TimedRuns(walls, cpus);
    }
}
