package org.xlbridge.eventloop.libvirt;

import java.util.OptionalInt;
import org.xlbridge.eventloop.EventLoop;

/**
 * {@link LibvirtClientSuite} on libvirt's default implementation, turned by {@link LibvirtEventLoop}.
 * libvirt's own registrations live inside its GLib loop, where they cannot be counted from outside.
 */
class LibvirtClientDefaultLoopTest extends LibvirtClientSuite {

    @Override
    protected EventLoop openLoop() {
        return new LibvirtEventLoop();
    }

    @Override
    protected OptionalInt libvirtRegistrations() {
        return OptionalInt.empty();
    }
}
