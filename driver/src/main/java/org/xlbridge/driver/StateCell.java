package org.xlbridge.driver;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state word of a {@link TimeoutRegistration}: an atomic int, read and moved only through these four
 * operations. Not final, and package-private: a test subclass observes each access right after it happened
 * and may hold the calling thread there, which drives two dispatches of one timer into the window that a
 * check-then-act (read the state, then compare-and-set it separately) would open
 * ({@code TimerDispatchOnceGuardTest}). The bridge makes one per registration through the factory it was
 * built with; production uses this class as it is.
 *
 * <p>Locking: none; the value is an {@link AtomicInteger}.
 */
class StateCell {
    private final AtomicInteger value;

    StateCell(int initial) {
        this.value = new AtomicInteger(initial);
    }

    int get() {
        return value.get();
    }

    void set(int v) {
        value.set(v);
    }

    boolean compareAndSet(int expect, int update) {
        return value.compareAndSet(expect, update);
    }

    int getAndSet(int v) {
        return value.getAndSet(v);
    }
}
