package org.xlbridge.driver.api;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEventType;

/** Helpers that management applications write over the domain API, written once here. */
public final class Domains {
    /** How often a waiting helper looks whether its connection was closed under it. */
    private static final long CLOSE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private Domains() {
    }

    /**
     * "Shut down, wait up to {@code timeout}, then destroy", as management applications write it: asks the
     * guest to shut down, waits for the {@code STOPPED} lifecycle event of the life it asked to stop, and
     * destroys the domain when the wait runs out. A guest that stops just as the timeout ends counts as
     * {@link ShutdownResult#BY_GUEST} (the destroy then finds it inactive).
     *
     * <p>Only a STOPPED of this life counts: the domain's id is read before the request, and a STOPPED event
     * whose domain carries another id (an earlier life's, still queued when the helper starts listening) is
     * ignored. An event with no id (-1: libvirt drivers that make the event after the domain lost its id) counts
     * only when the domain is then found inactive, or running with another id (restarted by its
     * {@code on_poweroff}).
     *
     * <p>Blocks the calling thread: never call it from a lifecycle listener or anything else running on
     * the connection's loop thread, which must keep turning to deliver the event it waits for.
     *
     * @throws DriverException what {@link Domain#shutdown()} or {@link Domain#destroy()} throws, e.g.
     *         {@code VIR_ERR_OPERATION_INVALID} when the domain is not running; {@code VIR_ERR_INVALID_CONN}
     *         as soon as the connection is closed (from another thread) while it waits, never an error of its
     *         own cleanup in place of the real one
     */
    public static ShutdownResult shutdownOrDestroy(Connect conn, Domain domain, Duration timeout) {
        if (conn == null || domain == null || timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("connection, domain and a non-negative timeout are required");
        }
        UUID uuid = domain.getUUID();
        int life = domain.getID();
        Semaphore candidates = new Semaphore(0);
        AtomicBoolean exact = new AtomicBoolean();
        LifecycleListener listener = (d, event) -> {
            if (event.getType() != DomainEventType.STOPPED || !uuid.equals(d.getUUID())) {
                return;
            }
            int id = d.getID();
            if (id == life && life > 0) {
                exact.set(true);
                candidates.release();
            } else if (id <= 0) {
                candidates.release(); // no id: checked by the waiting thread
            }
        };
        // Listen before asking, so that a guest answering at once is not missed.
        conn.addLifecycleListener(listener);
        RuntimeException failure = null;
        try {
            domain.shutdown();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                boolean got;
                try {
                    got = candidates.tryAcquire(Math.min(left, CLOSE_CHECK_NANOS), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_ABORTED,
                            "interrupted while waiting for " + domain.getName() + " to shut down", e);
                }
                if (!conn.isOpen()) {
                    throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, conn.getURI()
                            + ": connection closed while waiting for " + domain.getName() + " to shut down");
                }
                if (got && (exact.get() || lifeEnded(conn, uuid, life))) {
                    return ShutdownResult.BY_GUEST;
                }
            }
            if (lifeEnded(conn, uuid, life)) {
                return ShutdownResult.BY_GUEST;
            }
            try {
                domain.destroy();
            } catch (DriverException e) {
                if (e.getError() == ErrorNumber.VIR_ERR_OPERATION_INVALID && lifeEnded(conn, uuid, life)) {
                    return ShutdownResult.BY_GUEST; // it stopped between the wait and the destroy
                }
                throw e;
            }
            return ShutdownResult.DESTROYED_AFTER_TIMEOUT;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            try {
                conn.removeLifecycleListener(listener);
            } catch (RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e); // the real error stays the one thrown
            }
        }
    }

    /** Whether the life {@code life} of the domain is over: gone, inactive, or running with another id. */
    private static boolean lifeEnded(Connect conn, UUID uuid, int life) {
        try {
            Domain now = conn.domainLookupByUUID(uuid);
            return !now.isActive() || now.getID() != life;
        } catch (DriverException e) {
            if (e.getError() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return true;
            }
            throw e;
        }
    }
}
