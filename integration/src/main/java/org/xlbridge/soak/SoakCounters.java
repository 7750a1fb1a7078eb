package org.xlbridge.soak;

/**
 * The application-level figures a {@link Sampler} reads at every sample; the soak's runner implements it
 * from its loop's {@code stats()} and its {@link Workload}s. Each method is called from the sampler's
 * thread while the workloads run, so each must be safe to call from any thread (atomics, or a snapshot
 * taken under the owner's lock) and cheap.
 */
public interface SoakCounters {
    /** Live timeouts + handles in the event loop now (libvirt's own included). */
    int loopRegistrations();

    /** Live timeout + fd registrations in the osevent bridges now (every ctx). */
    int bridgeRegistrations();

    /** Timeout + fd nexi in use in the libxl ctxs now. */
    int busyNexi();

    /** Asynchronous driver operations in flight now. */
    int pendingOperations();

    /** Operations completed since the soak started (the sum over the workloads). */
    long operations();
}
