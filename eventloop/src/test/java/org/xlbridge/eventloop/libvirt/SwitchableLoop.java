package org.xlbridge.eventloop.libvirt;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * A loop that delegates to another and, while {@link #refuse} is set, throws from every registration
 * call, as a loop that cannot take more work would: for showing that libvirt gets -1, not an exception.
 * Registration is once per process, so tests register this wrapper and switch refusal on and off.
 */
final class SwitchableLoop implements EventLoop {
    private final EventLoop delegate;
    /** Written by the test thread, read by whichever thread libvirt calls from. */
    volatile boolean refuse;

    SwitchableLoop(EventLoop delegate) {
        this.delegate = delegate;
    }

    private void check() {
        if (refuse) {
            throw new IllegalStateException("refusing for the test");
        }
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        check();
        return delegate.addHandle(fd, events, cb, ff);
    }

    @Override
    public void updateHandle(int watch, int events) {
        check();
        delegate.updateHandle(watch, events);
    }

    @Override
    public boolean removeHandle(int watch) {
        check();
        return delegate.removeHandle(watch);
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        check();
        return delegate.addTimeout(frequencyMs, cb, ff);
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        check();
        delegate.updateTimeout(timer, frequencyMs);
    }

    @Override
    public boolean removeTimeout(int timer) {
        check();
        return delegate.removeTimeout(timer);
    }

    @Override
    public void runOnce() {
        delegate.runOnce();
    }

    @Override
    public void run() {
        delegate.run();
    }

    @Override
    public void stop() {
        delegate.stop();
    }

    @Override
    public EventLoopStats stats() {
        return delegate.stats();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "SwitchableLoop[" + delegate + "]";
    }
}
