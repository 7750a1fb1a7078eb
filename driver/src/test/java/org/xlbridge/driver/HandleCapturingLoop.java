package org.xlbridge.driver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;

/**
 * Delegates to another loop and keeps each handle's callback, so a test can dispatch a handle from a second thread
 * while the inner loop is busy dispatching a timer: what a loop with a dispatch pool does.
 */
final class HandleCapturingLoop extends ForwardingEventLoop {
    final Map<Integer, HandleCallback> handleCallbacks = new ConcurrentHashMap<>();

    HandleCapturingLoop(EventLoop inner) {
        super(inner);
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
        int id = super.addHandle(fd, events, cb, ff);
        handleCallbacks.put(id, cb);
        return id;
    }
}
