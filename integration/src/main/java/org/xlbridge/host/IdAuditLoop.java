package org.xlbridge.host;

import java.util.concurrent.atomic.AtomicLong;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.race.IdWindow;

/**
 * A pass-through {@link EventLoop} that checks SPEC I8 for {@code xlbridge host} and {@code xlbridge soak}:
 * every id the loop hands out must be new. Everything else goes to the wrapped loop unchanged (callbacks
 * run where it runs them). Registered as libvirt's event implementation, it sees libvirt's ids too.
 * Memory stays bounded over millions of ids ({@link IdWindow}).
 *
 * <p>Locking: {@link #timerIds} and {@link #watchIds} are guarded by their own monitors; the counter is atomic.
 */
public final class IdAuditLoop extends ForwardingEventLoop {
    private final IdWindow timerIds = new IdWindow();
    private final IdWindow watchIds = new IdWindow();
    private final AtomicLong reused = new AtomicLong();

    public IdAuditLoop(EventLoop inner) {
        super(inner);
    }

    /** The loop this audits. */
    public EventLoop inner() {
        return delegate();
    }

    /** Ids handed out twice so far (I8). */
    public long reusedIds() {
        return reused.get();
    }

    /** The largest timer id the loop handed out so far (ids are never reused: see I8). */
    public long highestTimerId() {
        synchronized (timerIds) {
            return timerIds.max();
        }
    }

    /** The largest watch (handle) id the loop handed out so far. */
    public long highestWatchId() {
        synchronized (watchIds) {
            return watchIds.max();
        }
    }

    private void record(IdWindow seen, int id) {
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
