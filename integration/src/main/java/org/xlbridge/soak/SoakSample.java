package org.xlbridge.soak;

/**
 * One sample of a soak, taken every {@code --sample} seconds.
 *
 * @param elapsedMs            since the soak started
 * @param heapUsedBytes        heap in use just after a requested full GC
 * @param liveThreads          live JVM threads
 * @param openFds              entries in {@code /proc/self/fd} (-1 where there is no such directory)
 * @param loopRegistrations    live timeouts + handles in the event loop (libvirt's included)
 * @param bridgeRegistrations  live timeout + fd registrations in the osevent bridges (every ctx)
 * @param busyNexi             timeout + fd nexi in use in the libxl ctxs
 * @param pendingOperations    asynchronous driver operations in flight
 * @param latenessP99Micros    p99 lateness of the loop's timers in this sample's interval, µs (-1: not measured)
 * @param operationsPerSecond  operations completed per second in this sample's interval
 * @param operations           operations completed since the start
 * @param controlLatenessP99Micros p99 lateness of a control thread's timed parks in the same interval, µs: the
 *                             machine's own noise ({@link ControlLateness}; -1: not measured)
 */
public record SoakSample(long elapsedMs, long heapUsedBytes, int liveThreads, int openFds, int loopRegistrations,
                         int bridgeRegistrations, int busyNexi, int pendingOperations, long latenessP99Micros,
                         double operationsPerSecond, long operations, long controlLatenessP99Micros) {
    /** A sample without a control measurement. */
    public SoakSample(long elapsedMs, long heapUsedBytes, int liveThreads, int openFds, int loopRegistrations,
                      int bridgeRegistrations, int busyNexi, int pendingOperations, long latenessP99Micros,
                      double operationsPerSecond, long operations) {
        this(elapsedMs, heapUsedBytes, liveThreads, openFds, loopRegistrations, bridgeRegistrations, busyNexi,
                pendingOperations, latenessP99Micros, operationsPerSecond, operations, -1);
    }

    /**
     * The loop's own share of its timer lateness: the loop's p99 minus the control thread's p99 over the same
     * interval, at least 0; -1 when either was not measured.
     */
    public long loopLatenessP99Micros() {
        if (latenessP99Micros < 0 || controlLatenessP99Micros < 0) {
            return -1;
        }
        return Math.max(0, latenessP99Micros - controlLatenessP99Micros);
    }
}
