package org.xlbridge.driver.lifecycle;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;

/**
 * Schedule noise for the racing steps of the stateful tests: while on, the places where one thread's work can
 * interleave with another's (the driver's event journal, called as an event is produced, and the arming of a
 * connection's event timer, between the connections of one fan-out) pause for a random 0-2 ms, so that races
 * a quiet machine would hide happen within a bounded run.
 *
 * <p>Thread-safe: {@link #on} is volatile.
 */
final class Jitter {
    private volatile boolean on;
    /** Guarded by itself: the lifecycle-event timers whose flush waits for {@link #release()}. */
    private final java.util.Set<Integer> heldBack = new java.util.HashSet<>();
    /** Guarded by {@link #heldBack}. */
    private boolean holding;

    void on(boolean value) {
        on = value;
    }

    /** Pauses for 0-2 ms when on. */
    void maybe() {
        if (on) {
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(2_000_000));
        }
    }

    /** From now on the lifecycle-event flushes wait (events stay queued) until {@link #release()}. */
    void hold() {
        synchronized (heldBack) {
            holding = true;
        }
    }

    /** Lets the held-back flushes run. */
    void release() {
        java.util.List<Integer> again;
        synchronized (heldBack) {
            holding = false;
            again = new java.util.ArrayList<>(heldBack);
            heldBack.clear();
        }
        for (int id : again) {
            loop.updateTimeout(id, 0);
        }
    }

    private EventLoop loop;

    /**
     * A pass-through loop that jitters every timer arm (the event queues arm their timers with it, between the
     * connections of a fan-out) and can hold back the lifecycle-event flushes (the timers added disabled). Once
     * per Jitter.
     */
    EventLoop around(EventLoop inner) {
        loop = new ForwardingEventLoop(inner) {
            @Override
            public int addTimeout(int frequencyMs, org.xlbridge.eventloop.TimeoutCallback cb,
                    org.xlbridge.eventloop.FreeCallback ff) {
                if (frequencyMs != -1) {
                    return super.addTimeout(frequencyMs, cb, ff);
                }
                return super.addTimeout(-1, timer -> {
                    synchronized (heldBack) {
                        if (holding) {
                            heldBack.add(timer);
                            super.updateTimeout(timer, -1);
                            return;
                        }
                    }
                    cb.onTimeout(timer);
                }, ff);
            }

            @Override
            public void updateTimeout(int timer, int frequencyMs) {
                super.updateTimeout(timer, frequencyMs);
                if (frequencyMs == 0) {
                    maybe();
                }
            }
        };
        return loop;
    }
}
