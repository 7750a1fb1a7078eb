package org.xlbridge.driver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * Delegates to another loop and keeps every timeout and free callback it was given, so a test can play a
 * faulty loop: dispatch a registration after its free, or free it twice.
 */
final class CapturingEventLoop extends ForwardingEventLoop {
    final Map<Integer, TimeoutCallback> timeoutCallbacks = new ConcurrentHashMap<>();
    final Map<Integer, FreeCallback> timeoutFrees = new ConcurrentHashMap<>();

    CapturingEventLoop(EventLoop inner) {
        super(inner);
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        int id = super.addTimeout(frequencyMs, cb, ff);
        timeoutCallbacks.put(id, cb);
        timeoutFrees.put(id, ff);
        return id;
    }
}
