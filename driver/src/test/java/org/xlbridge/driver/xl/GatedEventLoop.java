package org.xlbridge.driver.xl;

import java.util.HashSet;
import java.util.Set;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * A pass-through loop that can hold back the lifecycle-event flushes (the timers added disabled, as libvirt's
 * and {@code DomainEventQueue}'s are) while everything else (libxl's timers and fds) runs: events stay queued
 * until {@link #release()}, so a test can make a listener start listening while earlier events are still queued.
 *
 * <p>Locking: {@code this} guards both sets and the gate.
 */
final class GatedEventLoop extends ForwardingEventLoop {
    private final Set<Integer> eventTimers = new HashSet<>();
    private final Set<Integer> heldBack = new HashSet<>();
    private boolean gated;

    GatedEventLoop(EventLoop inner) {
        super(inner);
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        if (frequencyMs != -1) {
            return super.addTimeout(frequencyMs, cb, ff);
        }
        int id = super.addTimeout(-1, timer -> {
            synchronized (this) {
                if (gated) {
                    heldBack.add(timer);
                    super.updateTimeout(timer, -1); // fire again at release()
                    return;
                }
            }
            cb.onTimeout(timer);
        }, ff);
        synchronized (this) {
            eventTimers.add(id);
        }
        return id;
    }

    /** From now on, event flushes wait. */
    synchronized void hold() {
        gated = true;
    }

    /** Lets the held-back flushes run. */
    void release() {
        Set<Integer> again;
        synchronized (this) {
            gated = false;
            again = new HashSet<>(heldBack);
            heldBack.clear();
        }
        for (int id : again) {
            super.updateTimeout(id, 0);
        }
    }
}
