package org.xlbridge.eventloop.libvirt;

import java.util.OptionalInt;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;

/** {@link LibvirtClientSuite} on the embedded loop, registered as libvirt's event implementation. */
class LibvirtClientEmbeddedTest extends LibvirtClientSuite {
    private LibvirtEventImpl impl;

    @Override
    protected EventLoop openLoop() {
        PollEventLoop loop = new PollEventLoop();
        impl = LibvirtEventImpl.register(loop);
        return loop;
    }

    @Override
    protected OptionalInt libvirtRegistrations() {
        return OptionalInt.of(impl.liveRegistrations());
    }
}
