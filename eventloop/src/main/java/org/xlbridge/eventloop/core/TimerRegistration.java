package org.xlbridge.eventloop.core;

import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * One timer of a {@link CoreEventLoop}. Where its next expiry is tracked is its {@link State}; it also
 * knows its slot in the {@link TimerHeap} ({@link #heapIndex}), so that update and remove need no
 * search.
 *
 * <p>Locking: the mutable fields are guarded by the owning loop's lock; only {@link TimerQueue} and
 * {@link TimerHeap} change them.
 */
final class TimerRegistration extends Registration {
    /** Where the timer's next expiry is tracked. */
    enum State {
        /** Frequency -1: nowhere. A heap slot it still holds is a ghost, dropped when it reaches the top. */
        DISABLED,
        /** In the heap; its slot's key is at most {@link #expiryNanos} (a later expiry is settled lazily). */
        SCHEDULED,
        /** On the ready list: due at once (frequency 0, or re-based to 0). A heap slot is a ghost. */
        READY,
        /** Taken for the dispatch pass under way; neither in the heap nor on the ready list. */
        TAKEN
    }

    final TimeoutCallback callback;
    /** Guarded by the loop lock. -1 disabled, 0 every iteration, N &gt; 0 every N ms. */
    int frequencyMs;
    /** Guarded by the loop lock. Meaningful unless DISABLED. */
    long expiryNanos;
    /** Guarded by the loop lock. The slot in the heap, or -1 when not in the heap. */
    int heapIndex = -1;
    /**
     * Guarded by the loop lock. A copy of the slot's key while {@link #heapIndex} &gt;= 0, kept here so
     * that a re-base can tell whether the slot needs to move without reading the heap's key array (at a
     * million timers, a cache miss saved on most updates).
     */
    long heapKey;
    /** Guarded by the loop lock. Is on the ready list's array (possibly no longer READY). */
    boolean listed;
    /** Guarded by the loop lock. */
    State state = State.DISABLED;

    TimerRegistration(int id, TimeoutCallback callback, FreeCallback free) {
        super(id, free);
        this.callback = callback;
    }

    @Override
    String describe() {
        return "timer " + id;
    }

    @Override
    public String toString() {
        return "timer " + id + " (" + (removed ? "removed" : state.name().toLowerCase(java.util.Locale.ROOT))
                + ", every " + frequencyMs + " ms, expiry " + expiryNanos + " ns, heap slot " + heapIndex + ")";
    }
}
