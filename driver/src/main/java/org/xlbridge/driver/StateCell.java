package org.xlbridge.driver;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The state word of a {@link TimeoutRegistration}: a volatile int, read and moved only through these four
 * operations. Not final, and package-private: a test subclass observes each access right after it happened
 * and may hold the calling thread there, which drives two dispatches of one timer into the window that a
 * check-then-act (read the state, then compare-and-set it separately) would open
 * ({@code TimerDispatchOnceGuardTest}). The bridge makes one per registration through the factory it was
 * built with; production uses this class as it is. The int lives in the cell itself (a VarHandle, not an
 * AtomicInteger inside it), so a registration costs the same one state object it did with an AtomicInteger.
 *
 * <p>Locking: none; {@link #value} is volatile and changed only by the VarHandle's atomic operations.
 */
class StateCell {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(StateCell.class, "value", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Volatile; compare-and-set through {@link #VALUE}. */
    private volatile int value;

    StateCell(int initial) {
        this.value = initial;
    }

    int get() {
        return value;
    }

    void set(int v) {
        value = v;
    }

    boolean compareAndSet(int expect, int update) {
        return VALUE.compareAndSet(this, expect, update);
    }

    int getAndSet(int v) {
        return (int) VALUE.getAndSet(this, v);
    }
}
