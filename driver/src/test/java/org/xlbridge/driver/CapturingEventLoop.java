package org.xlbridge.driver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * Delegates to another loop and keeps every timeout and free callback it was given, so a test can play a
 * faulty loop: dispatch a registration after its free, or free it twice.
 */
final class CapturingEventLoop implements EventLoop {
    private final EventLoop inner;
    final Map<Integer, TimeoutCallback> timeoutCallbacks = new ConcurrentHashMap<>();
    final Map<Integer, FreeCallback> timeoutFrees = new ConcurrentHashMap<>();

    CapturingEventLoop(EventLoop inner) {
        this.inner = inner;
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        return inner.addHandle(fd, events, cb, ff);
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
        timeoutCallbacks.put(id, cb);
        timeoutFrees.put(id, ff);
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
}
