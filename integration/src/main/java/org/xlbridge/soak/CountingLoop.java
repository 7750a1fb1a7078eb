package org.xlbridge.soak;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * A view of the soak's loop for ONE xl driver state: it forwards everything and counts what was registered
 * through it, so that after the state closed "nothing of it is left on the loop" can be checked exactly,
 * whatever the other workloads on the same loop do meanwhile: live timeouts and handles added through this
 * view and not removed, and free callbacks owed (a registration's free runs once, after its removal).
 *
 * <p>A registration may be removed before its add returned here (a timeout of frequency 0 that removes
 * itself from its first dispatch): such an id is remembered in the early set and not counted when its add
 * returns.
 *
 * <p>Locking: {@code this} guards the id sets (held only around set changes, never around a loop call);
 * the owed count is atomic. {@link #close()} does not close the shared loop (the soak owns it).
 */
final class CountingLoop extends ForwardingEventLoop {
    private final Set<Integer> timeouts = new HashSet<>();
    private final Set<Integer> handles = new HashSet<>();
    private final Set<Integer> removedEarlyTimeouts = new HashSet<>();
    private final Set<Integer> removedEarlyHandles = new HashSet<>();
    private final AtomicInteger freesOwed = new AtomicInteger();

    CountingLoop(EventLoop shared) {
        super(shared);
    }

    private FreeCallback counted(FreeCallback ff) {
        return () -> {
            try {
                if (ff != null) {
                    ff.free();
                }
            } finally {
                freesOwed.decrementAndGet();
            }
        };
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        freesOwed.incrementAndGet();
        int id;
        try {
            id = super.addHandle(fd, events, cb, counted(ff));
        } catch (RuntimeException e) {
            freesOwed.decrementAndGet(); // refused: nothing registered, no free will run
            throw e;
        }
        added(handles, removedEarlyHandles, id);
        return id;
    }

    @Override
    public boolean removeHandle(int watch) {
        boolean removed = super.removeHandle(watch);
        if (removed) {
            removed(handles, removedEarlyHandles, watch);
        }
        return removed;
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        freesOwed.incrementAndGet();
        int id;
        try {
            id = super.addTimeout(frequencyMs, cb, counted(ff));
        } catch (RuntimeException e) {
            freesOwed.decrementAndGet();
            throw e;
        }
        added(timeouts, removedEarlyTimeouts, id);
        return id;
    }

    @Override
    public boolean removeTimeout(int timer) {
        boolean removed = super.removeTimeout(timer);
        if (removed) {
            removed(timeouts, removedEarlyTimeouts, timer);
        }
        return removed;
    }

    private synchronized void added(Set<Integer> live, Set<Integer> early, int id) {
        if (!early.remove(id)) {
            live.add(id);
        }
    }

    private synchronized void removed(Set<Integer> live, Set<Integer> early, int id) {
        if (!live.remove(id)) {
            early.add(id);
        }
    }

    /** Timeouts and handles registered through this view and not removed. */
    synchronized int liveRegistrations() {
        return timeouts.size() + handles.size();
    }

    /** Free callbacks of registrations made through this view that have not run yet. */
    int freesOwed() {
        return freesOwed.get();
    }

    /** Does not close the shared loop. */
    @Override
    public void close() {
    }
}
