package org.xlbridge.eventloop.poll;

import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;

/**
 * One watched fd of a {@link PollEventLoop}.
 *
 * <p>Locking: {@link #events} is guarded by the owning loop's lock.
 */
final class HandleNode extends Registration {
    final int fd;
    final HandleCallback callback;
    /** Guarded by the loop lock. {@code HandleEvents} bits; 0 means registered but not polled. */
    int events;

    HandleNode(int id, int fd, int events, HandleCallback callback, FreeCallback free) {
        super(id, free);
        this.fd = fd;
        this.events = events;
        this.callback = callback;
    }

    @Override
    String kind() {
        return "handle";
    }

    @Override
    public String toString() {
        return "handle " + id + " (fd " + fd + ", events " + events + ")";
    }
}
