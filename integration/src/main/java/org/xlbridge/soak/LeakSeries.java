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
 *   <li>the loop's own lateness p99 ({@link SoakSample#loopLatenessP99Micros()}: the loop's timer lateness
 *       minus what a control thread's timed parks saw over the same interval): 2 ms, and a relative bound
 *       of 50% instead of 5%. Lateness is not a count of anything held: it is the tail of one second's
 *       scheduling on a shared two-core machine. The raw lateness of the loop measured the machine as much
 *       as the loop: on a clean clone with other builds beside it (load 3 to 10) a 12-second run judged it
 *       growing (42 to 64 ms) with nothing wrong in the loop. Subtracting the control thread's lateness
 *       takes the machine's share out; what this series must still catch is a loop that degrades without
 *       bound (a timer structure filling with dead entries, a callback that runs longer and longer), which
 *       doubles and keeps going ({@code SoakCanFailTest}).</li>
 * </ul>
 */
public enum LeakSeries {
    HEAP("heap", "bytes", 2L * 1024 * 1024, 0.05, s -> s.heapUsedBytes()),
    THREADS("threads", "threads", 2, 0.05, s -> s.liveThreads()),
    FDS("fds", "fds", 8, 0.05, s -> s.openFds()),
    LOOP_REGISTRATIONS("loopRegistrations", "registrations", 64, 0.05, s -> s.loopRegistrations()),
    BRIDGE_REGISTRATIONS("bridgeRegistrations", "registrations", 64, 0.05, s -> s.bridgeRegistrations()),
    BUSY_NEXI("busyNexi", "nexi", 64, 0.05, s -> s.busyNexi()),
    PENDING_OPERATIONS("pendingOperations", "operations", 64, 0.05, s -> s.pendingOperations()),
    LOOP_LATENESS_P99("loopLatenessP99", "µs", 2000, 0.5, s -> s.loopLatenessP99Micros()) {
        @Override
        public boolean judgedByMedian() {
            return true;
        }
    };

    /**
     * Whether the thirds are compared by their medians instead of their means. Lateness is: a sample's p99
     * is the tail of one interval (of a 250 ms interval, nearly its single worst fire), so one hiccup of the
     * machine in a third moves that third's mean by milliseconds; a loop that degrades moves the median.
     */
    public boolean judgedByMedian() {
        return false;
    }

    /** The relative bound of every series but lateness: the last third's mean may exceed the first's by 5% of it. */
    public static final double RELATIVE_BOUND = 0.05;

    private final String key;
    private final String unit;
    private final double absoluteBound;
    private final double relativeBound;
    private final ToDoubleFunction<SoakSample> value;

    LeakSeries(String key, String unit, double absoluteBound, double relativeBound, ToDoubleFunction<SoakSample> value) {
        this.key = key;
        this.unit = unit;
        this.absoluteBound = absoluteBound;
        this.relativeBound = relativeBound;
        this.value = value;
    }

    /** How much the last third's mean may exceed the first's, as a fraction of the first's. */
    public double relativeBound() {
        return relativeBound;
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
