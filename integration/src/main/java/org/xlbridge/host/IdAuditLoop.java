package org.xlbridge.host;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * A pass-through {@link EventLoop} that checks SPEC I8 for {@code xlbridge host}: every id the loop hands
 * out must be new. Everything else goes to the wrapped loop unchanged (callbacks run where it runs them).
 *
 * <p>Locking: {@link #timerIds} and {@link #watchIds} are guarded by their own monitors; the counter is atomic.
 */
final class IdAuditLoop extends ForwardingEventLoop {
    private final Set<Integer> timerIds = new HashSet<>();
    private final Set<Integer> watchIds = new HashSet<>();
    private final AtomicLong reused = new AtomicLong();

    IdAuditLoop(EventLoop inner) {
        super(inner);
    }

    EventLoop inner() {
        return delegate();
    }

    long reusedIds() {
        return reused.get();
    }

    private void record(Set<Integer> seen, int id) {
        synchronized (seen) {
            if (!seen.add(id)) {
                reused.incrementAndGet();
            }
        }
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        int id = super.addHandle(fd, events, cb, ff);
        record(watchIds, id);
        return id;
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        int id = super.addTimeout(frequencyMs, cb, ff);
        record(timerIds, id);
        return id;
    }

    @Override
    public String toString() {
        return delegate().toString();
    }
}
