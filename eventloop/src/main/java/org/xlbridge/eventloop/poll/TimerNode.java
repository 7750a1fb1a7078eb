package org.xlbridge.eventloop.poll;

import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * One timer of a {@link PollEventLoop}. It knows its own position in the {@link TimerHeap}
 * ({@link #heapIndex}), so that update and remove need no search.
 *
 * <p>Locking: the mutable fields are guarded by the owning loop's lock.
 */
final class TimerNode extends Registration {
    final TimeoutCallback callback;
    /** Guarded by the loop lock. -1 disabled, 0 every iteration, N &gt; 0 every N ms. */
    int frequencyMs;
    /** Guarded by the loop lock. Meaningful only while {@link #frequencyMs} &gt;= 0. */
    long expiryNanos;
    /** Guarded by the loop lock. The slot in the heap, or -1 when not in the heap. */
    int heapIndex = -1;

    TimerNode(int id, TimeoutCallback callback, FreeCallback free) {
        super(id, free);
        this.callback = callback;
    }

    @Override
    String kind() {
        return "timer";
    }

    @Override
    public String toString() {
        return "timer " + id + " (every " + frequencyMs + " ms, expiry " + expiryNanos + ", slot " + heapIndex + ")";
    }
}
