package org.xlbridge.eventloop.core;

import java.util.Arrays;
import java.util.Comparator;
import org.xlbridge.eventloop.core.TimerRegistration.State;

/**
 * Where a loop's enabled timers wait: a {@link TimerHeap} for those due later, and beside it a ready
 * list for those due at once (frequency 0, or re-based to 0: libxl's {@code timeout_modify(ASAP)} and
 * libvirt's event-queue flush). Making a timer due at once, or disabling it, is O(1): it changes the
 * timer's {@link State} and at most appends to the ready list; a heap slot it held stays as a ghost
 * until it reaches the top. A re-base to an expiry not before its slot's key is O(1) too: it touches
 * only the timer, which keeps a copy of that key (see {@link TimerHeap}); only a re-base below the key
 * and a remove sift.
 *
 * <p>{@link #takeDue} hands out the due timers of a dispatch pass in (expiry, id) order, whichever
 * structure held them: a ready timer's expiry is the time it was made due, as it would be in the heap.
 * Ordering the batch allocates nothing once its buffers have grown.
 *
 * <p>Not thread-safe: {@link CoreEventLoop} guards it with its loop lock.
 */
final class TimerQueue {
    static final long NANOS_PER_MS = 1_000_000L;
    /** The dispatch order: expiry (by subtraction), then id. */
    static final Comparator<TimerRegistration> ORDER = (a, b) -> {
        long d = a.expiryNanos - b.expiryNanos;
        return d < 0 ? -1 : d > 0 ? 1 : Integer.compare(a.id, b.id);
    };

    private final TimerHeap heap = new TimerHeap();
    /** Timers appended when made due at once; entries whose state is no longer READY are skipped. */
    private TimerRegistration[] ready = new TimerRegistration[16];
    private int readyLength;
    /** Timers whose state is READY (each is on the list exactly once). */
    private int readyCount;
    /** How many timers the last {@link #takeDue} took. */
    int lastTakeCount;
    /** The ready part of a dispatch batch while it is merged with the heap part; grows only. */
    private TimerRegistration[] mergeBuffer = new TimerRegistration[16];

    /**
     * Sets the frequency of a live timer and re-bases it: -1 disables it, 0 makes it due at once
     * (expiry {@code now}), N &gt; 0 schedules it at now + N ms.
     */
    void schedule(TimerRegistration t, int frequencyMs, long now) {
        t.frequencyMs = frequencyMs;
        if (frequencyMs < 0) {
            leave(t, State.DISABLED);
            return;
        }
        long expiry = now + frequencyMs * NANOS_PER_MS;
        if (frequencyMs == 0) {
            makeReady(t, expiry);
            return;
        }
        leave(t, State.SCHEDULED);
        t.expiryNanos = expiry;
        if (t.heapIndex < 0) {
            heap.add(t);
        } else if (expiry - t.heapKey < 0) {
            heap.changed(t); // earlier than its slot's key: sift up
        }
        // Otherwise the slot (scheduled, or a ghost taken back) keeps its key, a lower bound of the new
        // expiry: nothing in the heap is read or written, only this timer.
    }

    /** Takes a timer out for good (it is being removed). */
    void remove(TimerRegistration t) {
        leave(t, State.DISABLED);
        if (t.listed && readyLength > 0 && ready[readyLength - 1] == t) {
            // Added at 0 and removed before a pass (an add/remove churn): keep the list from growing.
            ready[--readyLength] = null;
            t.listed = false;
        }
        if (t.heapIndex >= 0) {
            heap.remove(t);
        }
    }

    /** Whether a timer is due at once, whatever the clock says. */
    boolean hasReady() {
        return readyCount > 0;
    }

    /** The scheduled (heap) timer with the earliest (expiry, id), ignoring the ready list, or null. */
    TimerRegistration earliestScheduled() {
        return heap.peek();
    }

    /**
     * Moves every timer due at {@code now} (all ready ones, and the scheduled ones whose expiry is at or
     * before it) to the TAKEN state and into {@code batch} from index 0, in (expiry, id) order.
     *
     * @return the batch (grown if needed) and, through {@link #lastTakeCount}, how many it holds
     */
    TimerRegistration[] takeDue(long now, TimerRegistration[] batch) {
        int n = 0;
        for (int i = 0; i < readyLength; i++) {
            TimerRegistration t = ready[i];
            ready[i] = null;
            t.listed = false;
            if (t.state == State.READY) {
                t.state = State.TAKEN;
                readyCount--;
                if (n == batch.length) {
                    batch = Arrays.copyOf(batch, n * 2);
                }
                batch[n++] = t;
            }
        }
        int fromReady = n;
        readyLength = 0;
        while (heap.peek() != null && heap.peekExpiry() - now <= 0) {
            TimerRegistration t = heap.poll();
            t.state = State.TAKEN;
            if (n == batch.length) {
                batch = Arrays.copyOf(batch, n * 2);
            }
            batch[n++] = t;
        }
        if (fromReady > 1) {
            sort(batch, fromReady);
        }
        if (fromReady > 0 && n > fromReady) {
            merge(batch, fromReady, n);
        }
        lastTakeCount = n;
        return batch;
    }

    /**
     * Sorts {@code a[0..n)} by {@link #ORDER} without allocating: the ready list is nearly in order
     * already (appended as timers were made due), so a check or an insertion sort usually does; a
     * heapsort bounds the rest (ties at one clock reading may come in any id order).
     */
    private static void sort(TimerRegistration[] a, int n) {
        int i = 1;
        while (i < n && ORDER.compare(a[i - 1], a[i]) <= 0) {
            i++;
        }
        if (i == n) {
            return;
        }
        if (n <= 32) {
            for (; i < n; i++) {
                TimerRegistration x = a[i];
                int j = i - 1;
                while (j >= 0 && ORDER.compare(a[j], x) > 0) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
            return;
        }
        for (int k = n / 2 - 1; k >= 0; k--) {
            siftDownMax(a, k, n);
        }
        for (int end = n - 1; end > 0; end--) {
            TimerRegistration top = a[0];
            a[0] = a[end];
            a[end] = top;
            siftDownMax(a, 0, end);
        }
    }

    private static void siftDownMax(TimerRegistration[] a, int i, int n) {
        TimerRegistration x = a[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && ORDER.compare(a[child + 1], a[child]) > 0) {
                child++;
            }
            if (ORDER.compare(a[child], x) <= 0) {
                break;
            }
            a[i] = a[child];
            i = child;
        }
        a[i] = x;
    }

    /** Merges the sorted runs {@code a[0..mid)} and {@code a[mid..n)} through {@link #mergeBuffer}. */
    private void merge(TimerRegistration[] a, int mid, int n) {
        if (ORDER.compare(a[mid - 1], a[mid]) <= 0) {
            return; // already in order
        }
        if (mergeBuffer.length < mid) {
            mergeBuffer = new TimerRegistration[Math.max(mid, mergeBuffer.length * 2)];
        }
        System.arraycopy(a, 0, mergeBuffer, 0, mid);
        int left = 0;
        int right = mid;
        int out = 0;
        while (left < mid && right < n) {
            a[out++] = ORDER.compare(mergeBuffer[left], a[right]) <= 0 ? mergeBuffer[left++] : a[right++];
        }
        while (left < mid) {
            a[out++] = mergeBuffer[left++];
        }
        Arrays.fill(mergeBuffer, 0, mid, null);
    }

    /** A taken timer is dispatched now: its next expiry is now + period. */
    void rearm(TimerRegistration t, long now) {
        schedule(t, t.frequencyMs, now);
    }

    /** A taken timer was not dispatched after all: it waits again with the expiry it had. */
    void putBack(TimerRegistration t) {
        if (t.state != State.TAKEN) {
            return;
        }
        if (t.frequencyMs == 0) {
            makeReady(t, t.expiryNanos);
            return;
        }
        t.state = State.SCHEDULED;
        if (t.heapIndex >= 0) {
            heap.changed(t);
        } else {
            heap.add(t);
        }
    }

    /**
     * The earliest expiry after {@code after} among enabled timers not yet due by it, or {@code none}.
     * O(n): a walk over every slot, for the manual loop's {@code advance}.
     */
    long nextExpiryAfter(long after, long none) {
        long best = none;
        boolean any = false;
        for (int i = 0; i < heap.size(); i++) {
            TimerRegistration t = heap.nodeAt(i);
            if (t.state == State.SCHEDULED && t.expiryNanos - after > 0 && (!any || t.expiryNanos - best < 0)) {
                best = t.expiryNanos;
                any = true;
            }
        }
        return best;
    }

    /** Forgets every timer (the loop is closing). */
    void clear() {
        heap.clear();
        for (int i = 0; i < readyLength; i++) {
            ready[i].listed = false;
            ready[i] = null;
        }
        readyLength = 0;
        readyCount = 0;
    }

    /** For tests: the heap. */
    TimerHeap heap() {
        return heap;
    }

    /** For tests: entries on the ready list's array, stale ones included. */
    int readyListLength() {
        return readyLength;
    }

    private void makeReady(TimerRegistration t, long expiry) {
        if (t.state != State.READY) {
            t.state = State.READY;
            readyCount++;
        }
        t.expiryNanos = expiry;
        if (!t.listed) {
            if (readyLength == ready.length) {
                ready = Arrays.copyOf(ready, readyLength * 2);
            }
            ready[readyLength++] = t;
            t.listed = true;
        }
    }

    /**
     * Leaves the current state for {@code next}, keeping the ready count right. The state is written only
     * when it changes: it is a reference field, and under G1 each store of a reference into an object
     * outside the enum's region dirties a card that the concurrent refinement threads must then scan. A
     * re-base of a scheduled timer (SCHEDULED to SCHEDULED) at millions per second stored it every time
     * and kept a refinement thread busy at about two thirds of a core, which on a small host starved the
     * loop thread: ppoll returned milliseconds late (the lateness harness's p99 went from 0.23 to 3 ms).
     */
    private void leave(TimerRegistration t, State next) {
        State from = t.state;
        if (from == next) {
            return;
        }
        if (from == State.READY) {
            readyCount--;
        }
        t.state = next;
    }
}
