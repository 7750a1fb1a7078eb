package org.xlbridge.race;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/** Forwards every call to another loop; tests override the calls they want to watch. */
class ForwardingEventLoop implements EventLoop {
    final EventLoop inner;

    ForwardingEventLoop(EventLoop inner) {
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

    @Override
    public String toString() {
        return "Forwarding[" + inner + "]";
    }
}
