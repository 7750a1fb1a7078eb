package org.xlbridge.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;

/** Synthetic soak samples for the tests: one per second, every series at a quiet baseline unless changed. */
final class Samples {
    static final long HEAP = 40L * 1024 * 1024;

    private Samples() {
    }

    /** {@code n} samples at 1 s, 2 s, ... with every series at its baseline. */
    static List<SoakSample> flat(int n) {
        return build(n, LeakSeries.HEAP, i -> HEAP);
    }

    /** {@code n} samples whose {@code series} follows {@code f(i)}, the others at baseline. */
    static List<SoakSample> build(int n, LeakSeries series, IntToDoubleFunction f) {
        List<SoakSample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double v = f.applyAsDouble(i);
            long heap = series == LeakSeries.HEAP ? (long) v : HEAP;
            int threads = series == LeakSeries.THREADS ? (int) v : 24;
            int fds = series == LeakSeries.FDS ? (int) v : 40;
            int loop = series == LeakSeries.LOOP_REGISTRATIONS ? (int) v : 200;
            int bridge = series == LeakSeries.BRIDGE_REGISTRATIONS ? (int) v : 150;
            int nexi = series == LeakSeries.BUSY_NEXI ? (int) v : 30;
            int pending = series == LeakSeries.PENDING_OPERATIONS ? (int) v : 10;
            long late = series == LeakSeries.LOOP_LATENESS_P99 ? (long) v : 300;
            out.add(new SoakSample((i + 1) * 1000L, heap, threads, fds, loop, bridge, nexi, pending, late,
                    10_000.0, (i + 1) * 10_000L, 0));
        }
        return out;
    }

    /** Gaussian noise of the given standard deviation around {@code base}, seeded. */
    static IntToDoubleFunction noisy(double base, double sd, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] values = new double[10_000];
        for (int i = 0; i < values.length; i++) {
            // Box-Muller: two uniforms to one normal.
            double u1 = Math.max(1e-12, r.nextDouble());
            double u2 = r.nextDouble();
            values[i] = base + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        }
        return i -> values[i];
    }
}
