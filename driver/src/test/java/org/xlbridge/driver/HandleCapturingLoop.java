package org.xlbridge.driver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * Delegates to another loop and keeps each handle's callback, so a test can dispatch a handle from a second thread
 * while the inner loop is busy dispatching a timer: what a loop with a dispatch pool does.
 */
final class HandleCapturingLoop implements EventLoop {
    private final EventLoop inner;
    final Map<Integer, HandleCallback> handleCallbacks = new ConcurrentHashMap<>();

    HandleCapturingLoop(EventLoop inner) {
        this.inner = inner;
    }

    /** Runs {@code watch}'s callback on the calling thread, as a second dispatch thread would. */
    void dispatchHandle(int watch, int fd, int events) {
        HandleCallback cb = handleCallbacks.get(watch);
        if (cb == null) {
            throw new IllegalStateException("no handle " + watch);
        }
        cb.onEvent(watch, fd, events);
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        int id = inner.addHandle(fd, events, cb, ff);
        handleCallbacks.put(id, cb);
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
        return inner.addTimeout(frequencyMs, cb, ff);
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
}
