package org.xlbridge.libxl;

import java.util.ArrayDeque;
import java.util.function.IntFunction;

/**
 * A per-kind pool of nexi, as libxl's {@code hook_timeout_nexi_idle} / {@code hook_fd_nexi_idle}: a LIFO free list
 * (the most recently released nexus is handed out next, exactly as libxl's list-head insertion does), growing on
 * demand and never shrinking, because the application may hold any nexus at any time.
 *
 * <p>Locking: not thread-safe; every method is called with the owning ctx's lock held.
 */
final class NexusPool<N extends Nexus<?>> {
    private final IntFunction<N> factory;
    /** Idle nexi, most recently released first. Guarded by the ctx lock. */
    private final ArrayDeque<N> idle = new ArrayDeque<>();
    /** Nexi ever created by this pool. Guarded by the ctx lock. */
    private int allocated;

    NexusPool(IntFunction<N> factory) {
        this.factory = factory;
    }

    /** Takes an idle nexus, or makes a new one; it comes out empty and marked in use. */
    N take() {
        N nexus = idle.pollFirst();
        if (nexus == null) {
            allocated++;
            nexus = factory.apply(allocated);
        }
        nexus.inUse = true;
        nexus.event = null;
        nexus.forApp = null;
        return nexus;
    }

    /**
     * Empties a nexus and returns it to the pool. Returns false, and changes nothing, if it was already idle:
     * releasing it twice would put it on the free list twice and later hand it to two events at once.
     */
    boolean release(N nexus) {
        if (!nexus.inUse) {
            return false;
        }
        nexus.inUse = false;
        nexus.event = null;
        nexus.forApp = null;
        idle.addFirst(nexus);
        return true;
    }

    int idleCount() {
        return idle.size();
    }

    int inUseCount() {
        return allocated - idle.size();
    }
}
