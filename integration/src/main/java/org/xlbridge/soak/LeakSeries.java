package org.xlbridge.soak;

import java.util.function.ToDoubleFunction;

/**
 * The sampled series the leak verdicts judge, each with its JSON key, its unit and its absolute bound.
 *
 * <p>A series is flat when the mean of the last third of the post-warm-up samples exceeds the mean of
 * the first third by no more than 5% of the first, or by no more than the series' absolute bound. The
 * bounds are for series whose values are small counts, where one more thread or a few more fds are 5%
 * and more but not a leak:
 * <ul>
 *   <li>heap: 2 MiB (after a full GC the live heap still holds what is in flight at that instant:
 *       pending operations, queued events, buffers);</li>
 *   <li>threads: 2 (a restart fault's reconnect or a JDK helper thread can be alive at the sample);</li>
 *   <li>fds: 8 (a libvirtd restart or a ctx reopen holds a socket pair or a pipe or two a moment);</li>
 *   <li>loop and bridge registrations, busy nexi and pending operations: 64 (they follow the load:
 *       every client in flight holds a few, and the sample catches a random moment of each);</li>
 *   <li>lateness p99: 1 ms (SPEC's lateness target; a loaded shared machine moves by that much).</li>
 * </ul>
 */
public enum LeakSeries {
    HEAP("heap", "bytes", 2L * 1024 * 1024, s -> s.heapUsedBytes()),
    THREADS("threads", "threads", 2, s -> s.liveThreads()),
    FDS("fds", "fds", 8, s -> s.openFds()),
    LOOP_REGISTRATIONS("loopRegistrations", "registrations", 64, s -> s.loopRegistrations()),
    BRIDGE_REGISTRATIONS("bridgeRegistrations", "registrations", 64, s -> s.bridgeRegistrations()),
    BUSY_NEXI("busyNexi", "nexi", 64, s -> s.busyNexi()),
    PENDING_OPERATIONS("pendingOperations", "operations", 64, s -> s.pendingOperations()),
    LATENESS_P99("latenessP99", "µs", 1000, s -> s.latenessP99Micros());

    /** Relative bound: the last third's mean may exceed the first third's by this fraction of it. */
    public static final double RELATIVE_BOUND = 0.05;

    private final String key;
    private final String unit;
    private final double absoluteBound;
    private final ToDoubleFunction<SoakSample> value;

    LeakSeries(String key, String unit, double absoluteBound, ToDoubleFunction<SoakSample> value) {
        this.key = key;
        this.unit = unit;
        this.absoluteBound = absoluteBound;
        this.value = value;
    }

    /** The name in the report and the JSON ({@code leaks.<key>}). */
    public String key() {
        return key;
    }

    /** The unit of {@link #value(SoakSample)}. */
    public String unit() {
        return unit;
    }

    /** How much the last third's mean may exceed the first's, in {@link #unit()}, whatever the relative bound. */
    public double absoluteBound() {
        return absoluteBound;
    }

    /** This series' value in {@code s} (negative: not measured). */
    public double value(SoakSample s) {
        return value.applyAsDouble(s);
    }
}
