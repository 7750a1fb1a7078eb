package org.xlbridge.eventloop.core;

import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.HandleEvents;

/**
 * One watched fd of a {@link CoreEventLoop}, as a {@link Poller} sees it.
 *
 * <p>Locking: {@link #events()} is guarded by the owning loop's lock: a poller reads it in
 * {@link Poller#watch}, which the core calls with that lock held. The rest is final.
 */
public final class HandleRegistration extends Registration {
    private final int fd;
    final HandleCallback callback;
    /** Guarded by the loop lock. {@code HandleEvents} bits; 0 means registered but not polled. */
    int events;

    HandleRegistration(int id, int fd, int events, HandleCallback callback, FreeCallback free) {
        super(id, free);
        this.fd = fd;
        this.events = events;
        this.callback = callback;
    }

    /** The watch id. */
    public int id() {
        return id;
    }

    /** The watched fd. */
    public int fd() {
        return fd;
    }

    /** The watched {@link HandleEvents} bits; read only with the loop lock held (inside {@link Poller#watch}). */
    public int events() {
        return events;
    }

    @Override
    String describe() {
        return "handle " + id + " (fd " + fd + ")";
    }

    @Override
    public String toString() {
        return "handle " + id + " (fd " + fd + ", " + HandleEvents.toString(events) + (removed ? ", removed" : "") + ")";
    }
}
