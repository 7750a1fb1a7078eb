package org.xlbridge.daemon.server;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Event callback ids handed to clients ({@code callbackID} of CALLBACK_REGISTER_ANY): positive, unique per
 * daemon. A plain counter for now (it would wrap after 2^31 registrations). Thread-safe (atomic).
 */
public final class CallbackIds {
    private final AtomicInteger next = new AtomicInteger();

    public int next() {
        int id = next.incrementAndGet();
        if (id <= 0) {
            throw new IllegalStateException("event callback ids exhausted");
        }
        return id;
    }
}
