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
 * @param latenessP99Micros    p99 lateness of the loop's timers in this sample's interval, µs
 * @param operationsPerSecond  operations completed per second in this sample's interval
 * @param operations           operations completed since the start
 */
public record SoakSample(long elapsedMs, long heapUsedBytes, int liveThreads, int openFds, int loopRegistrations,
                         int bridgeRegistrations, int busyNexi, int pendingOperations, long latenessP99Micros,
                         double operationsPerSecond, long operations) {
}
