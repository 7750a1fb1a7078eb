package org.xlbridge.eventloop;

/**
 * An {@link EventLoop} that forwards every call to another loop: the base of decorators that watch or
 * change a few calls (audits, fault injection, test probes) and leave the rest to the loop they wrap,
 * as Guava's {@code ForwardingObject} does. It holds no state of its own beyond the delegate, so it
 * adds no locking: every rule of the wrapped loop applies unchanged.
 */
public abstract class ForwardingEventLoop implements EventLoop {
    private final EventLoop delegate;

    protected ForwardingEventLoop(EventLoop delegate) {
        if (delegate == null) {
            throw new IllegalArgumentException("null delegate loop");
        }
        this.delegate = delegate;
    }

    /** The loop every call goes to. */
    protected EventLoop delegate() {
        return delegate;
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        return delegate.addHandle(fd, events, cb, ff);
    }

    @Override
    public void updateHandle(int watch, int events) {
        delegate.updateHandle(watch, events);
    }

    @Override
    public boolean removeHandle(int watch) {
        return delegate.removeHandle(watch);
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        return delegate.addTimeout(frequencyMs, cb, ff);
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        delegate.updateTimeout(timer, frequencyMs);
    }

    @Override
    public boolean removeTimeout(int timer) {
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
        return getClass().getSimpleName() + "[" + delegate + "]";
    }
}
