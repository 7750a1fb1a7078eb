package org.xlbridge.soak;

import java.util.Map;

/**
 * One part of a soak's load (the libxl race, the xl driver's management clients, the libvirt clients),
 * run on the soak's loop with the soak's {@link FaultPlan}. The runner calls {@link #start()}, samples
 * the counters while it runs, calls {@link #stop()} at the end (the workload's threads finish their
 * current step and wait for what they started), then {@link #finish()} once, with the loop still turning,
 * to settle and check what is left, then {@link #close()}.
 *
 * <p>Every method may be called from the runner's thread while the workload's own threads run: counters
 * are atomics or taken under the workload's own lock.
 */
public interface Workload extends AutoCloseable {
    /** A short name for the report ({@code race}, {@code xl}, {@code libvirt}). */
    String name();

    /** Starts the workload's threads. */
    void start() throws Exception;

    /** Operations completed so far (each registration, driver call or libvirt call that returned). */
    long operations();

    /** Asynchronous operations in flight now (0 where the workload has none). */
    default int pendingOperations() {
        return 0;
    }

    /** Live bridge registrations (timeouts + fds) of the workload's ctxs now (0 where it has none). */
    default int bridgeRegistrations() {
        return 0;
    }

    /** Busy nexi in the workload's ctxs now (0 where it has none). */
    default int busyNexi() {
        return 0;
    }

    /** Invariant violations seen so far, for the progress line (the final count is {@link #finish()}'s). */
    default long violationsSoFar() {
        return 0;
    }

    /**
     * Wraps of the int counters the workload owns, by counter name (e.g. {@code domids}: the simulated
     * hosts' domid counters); empty if it owns none.
     */
    default Map<String, Long> counterWraps() {
        return Map.of();
    }

    /** Asks the workload's threads to stop after their current step; does not wait. */
    void stop();

    /**
     * Waits for the threads, lets the last events arrive and checks what is left (bounded in time); the
     * loop still turns. Returns the workload's invariant violations by name ({@code I1} ... {@code I10}:
     * only the ones it checks).
     */
    Map<String, Long> finish() throws InterruptedException;

    /** One-line human summary of what the workload did, for the report. */
    String summary();

    /** Releases what {@link #start()} made (connections, ctx); the loop still turns. Idempotent. */
    @Override
    void close();
}
