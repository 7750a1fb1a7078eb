package org.xlbridge.race;

/**
 * The libvirt section of a race report: what the libvirt-java clients did on the race's loop and how
 * their domain lifecycle events arrived (SPEC invariant I9).
 *
 * @param uri              the connection's URI
 * @param clients          client threads that churned domains
 * @param operations       successful domain API calls (define, create, suspend, resume, destroy, undefine)
 * @param apiErrors        domain API calls that failed (their events are not expected)
 * @param eventsExpected   lifecycle events those calls cause
 * @param eventsDelivered  expected events the listener received, each counted once
 * @param lost             expected events never received
 * @param duplicated       events received more than once
 * @param outOfOrder       events received after a later event of the same domain
 * @param offLoopThread    events whose listener ran on another thread than the loop's
 * @param unexpected       events received that no call of the clients caused
 * @param latencyP50Micros event latency (API call returned → listener runs), median, µs
 * @param latencyP99Micros 99th percentile, µs
 * @param latencyMaxMicros maximum, µs
 */
public record LibvirtReport(String uri, int clients, long operations, long apiErrors, long eventsExpected,
                            long eventsDelivered, long lost, long duplicated, long outOfOrder, long offLoopThread,
                            long unexpected, long latencyP50Micros, long latencyP99Micros, long latencyMaxMicros) {

    /** Events that break I9: lost, duplicated, out of order, off the loop thread, or unexpected. */
    public long i9Violations() {
        return lost + duplicated + outOfOrder + offLoopThread + unexpected;
    }
}
