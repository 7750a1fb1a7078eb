package org.xlbridge.host;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * A pass-through {@link EventLoop} that checks SPEC I8 for {@code xlbridge host}: every id the loop hands
 * out must be new. Everything else goes to the wrapped loop unchanged (callbacks run where it runs them).
 *
 * <p>Locking: {@link #timerIds} and {@link #watchIds} are guarded by their own monitors; the counter is atomic.
 */
final class IdAuditLoop implements EventLoop {
    private final EventLoop inner;
    private final Set<Integer> timerIds = new HashSet<>();
    private final Set<Integer> watchIds = new HashSet<>();
    private final AtomicLong reused = new AtomicLong();

    IdAuditLoop(EventLoop inner) {
        this.inner = inner;
    }

    EventLoop inner() {
        return inner;
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
        int id = inner.addHandle(fd, events, cb, ff);
        record(watchIds, id);
        return id;
    }

    @Override
    public void updateHandle(int watch, int events) {
        inner.updateHandle(watch, events);
    }

    @Override
    public boolean removeHandle(int watch) {
        return inner.removeHandle(watch);
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        int id = inner.addTimeout(frequencyMs, cb, ff);
        record(timerIds, id);
        return id;
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        inner.updateTimeout(timer, frequencyMs);
    }

    @Override
    public boolean removeTimeout(int timer) {
        return inner.removeTimeout(timer);
    }

    @Override
    public void runOnce() {
        inner.runOnce();
    }

    @Override
    public void run() {
        inner.run();
    }

    @Override
    public void stop() {
        inner.stop();
    }

    @Override
    public EventLoopStats stats() {
        return inner.stats();
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return inner.toString();
    }
}
