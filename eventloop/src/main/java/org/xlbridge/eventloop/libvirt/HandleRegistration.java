package org.xlbridge.eventloop.libvirt;

import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;

/** A watch on a file descriptor. Fields guarded by the owner's lock, except the final ones. */
final class HandleRegistration extends Registration {
    final HandleCallback callback;
    final int fd;
    /** The {@link org.xlbridge.eventloop.HandleEvents} bits watched. */
    int events;

    HandleRegistration(LibvirtEventLoop owner, long key, int fd, int events, HandleCallback callback,
            FreeCallback free) {
        super(owner, key, free);
        this.callback = callback;
        this.fd = fd;
        this.events = events;
    }

    @Override
    String kind() {
        return "handle";
    }
}
