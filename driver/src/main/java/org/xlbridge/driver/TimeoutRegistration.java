package org.xlbridge.driver;

import org.xlbridge.libxl.TimeoutToken;

/**
 * The application's registration object ("for_app") for one libxl timeout: one loop timer and the token
 * libxl wants back. Its life is an explicit state machine, moved only by compare-and-set:
 *
 * <pre>
 *   ARMED --(timer dispatch wins the CAS)--&gt; FIRING --(occurredTimeout returned)--&gt; DONE --(loop free)--&gt; FREED
 *   ARMED --(legacy timeoutDeregister)--&gt; CANCELLED --(loop free)--&gt; FREED
 * </pre>
 *
 * Exactly one dispatch wins ARMED→FIRING, so {@code occurredTimeout} is delivered at most once whatever
 * the loop does (periodic re-fire, two threads at once). FREED is terminal: any use of a FREED
 * registration is a use after free, reported by the bridge and otherwise ignored. {@code docs/bridge.md}
 * tabulates every event in every state and says why each step is safe.
 *
 * <p>Locking: none. {@link #state} is the only mutable field shared between threads and is an atomic
 * ({@link StateCell});
 * {@link #timerId} is written once, before the object is published to libxl (the register hook returns
 * it), and read afterwards only under the ctx lock or by the loop's callback, which receives the id
 * itself.
 */
public final class TimeoutRegistration {
    /** Waiting in the loop for its expiry. */
    public static final int ARMED = 0;
    /** A dispatch won the race and is delivering {@code occurredTimeout}. */
    public static final int FIRING = 1;
    /** {@code occurredTimeout} was delivered; the timer has been removed from the loop. */
    public static final int DONE = 2;
    /** Cancelled by the legacy {@code timeoutDeregister} before it fired. */
    public static final int CANCELLED = 3;
    /** The loop ran the FreeCallback; nothing may touch this object any more. */
    public static final int FREED = 4;

    private static final String[] NAMES = {"ARMED", "FIRING", "DONE", "CANCELLED", "FREED"};

    private final long serial;
    private final TimeoutToken token;
    private final long deadlineNanos;
    // Written once by the register hook before publication (see class comment).
    private int timerId;
    private final StateCell state;

    /** @param state a fresh cell holding {@link #ARMED} */
    TimeoutRegistration(long serial, TimeoutToken token, long deadlineNanos, StateCell state) {
        this.serial = serial;
        this.token = token;
        this.deadlineNanos = deadlineNanos;
        this.state = state;
    }

    /** The bridge's own number for this registration, unique per bridge. */
    public long serial() {
        return serial;
    }

    /** The token ("for_libxl") libxl gave at registration. */
    public TimeoutToken token() {
        return token;
    }

    /** The deadline libxl asked for, on the ctx's clock. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** The loop's timer id. */
    public int timerId() {
        return timerId;
    }

    void setTimerId(int id) {
        this.timerId = id;
    }

    /** The current state (one of the constants of this class). */
    public int state() {
        return state.get();
    }

    boolean transition(int from, int to) {
        return state.compareAndSet(from, to);
    }

    /** Moves to FREED from whatever state it was in; returns the previous state. */
    int markFreed() {
        return state.getAndSet(FREED);
    }

    static String stateName(int s) {
        return s >= 0 && s < NAMES.length ? NAMES[s] : Integer.toString(s);
    }

    @Override
    public String toString() {
        return "TimeoutRegistration#" + serial + "[timer " + timerId + ", " + stateName(state.get())
                + ", " + token + "]";
    }
}
