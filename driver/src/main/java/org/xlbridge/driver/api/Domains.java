package org.xlbridge.driver.api;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEventType;

/** Helpers that management applications write over the domain API, written once here. */
public final class Domains {
    private Domains() {
    }

    /**
     * "Shut down, wait up to {@code timeout}, then destroy", as management applications write it: asks the
     * guest to shut down, waits for the domain's {@code STOPPED} lifecycle event (or for the domain to be
     * inactive), and destroys it when the wait runs out. A guest that stops just as the timeout ends
     * counts as {@link ShutdownResult#BY_GUEST} (the destroy then finds it inactive).
     *
     * <p>Blocks the calling thread: never call it from a lifecycle listener or anything else running on
     * the connection's loop thread, which must keep turning to deliver the event it waits for.
     *
     * @throws DriverException what {@link Domain#shutdown()} or {@link Domain#destroy()} throws, e.g.
     *         {@code VIR_ERR_OPERATION_INVALID} when the domain is not running
     */
    public static ShutdownResult shutdownOrDestroy(Connect conn, Domain domain, Duration timeout) {
        if (conn == null || domain == null || timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("connection, domain and a non-negative timeout are required");
        }
        UUID uuid = domain.getUUID();
        CountDownLatch stopped = new CountDownLatch(1);
        LifecycleListener listener = (d, event) -> {
            if (event.getType() == DomainEventType.STOPPED && uuid.equals(d.getUUID())) {
                stopped.countDown();
            }
        };
        // Listen before asking, so that a guest answering at once is not missed.
        conn.addLifecycleListener(listener);
        try {
            domain.shutdown();
            boolean byGuest;
            try {
                byGuest = stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_ABORTED,
                        "interrupted while waiting for " + domain.getName() + " to shut down", e);
            }
            if (byGuest || !domain.isActive()) {
                return ShutdownResult.BY_GUEST;
            }
            try {
                domain.destroy();
            } catch (DriverException e) {
                if (e.getError() == ErrorNumber.VIR_ERR_OPERATION_INVALID && !domain.isActive()) {
                    return ShutdownResult.BY_GUEST; // it stopped between the wait and the destroy
                }
                throw e;
            }
            return ShutdownResult.DESTROYED_AFTER_TIMEOUT;
        } finally {
            conn.removeLifecycleListener(listener);
        }
    }
}
