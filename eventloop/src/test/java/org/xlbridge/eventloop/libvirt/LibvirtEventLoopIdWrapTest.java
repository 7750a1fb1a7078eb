package org.xlbridge.eventloop.libvirt;

import org.junit.jupiter.api.BeforeAll;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.conformance.IdWrapSuite;

/**
 * {@link IdWrapSuite} on libvirt's own default loop: this loop's ids wrap; libvirt's own counter behind
 * them only goes up (see {@link LibvirtEventLoop}).
 */
class LibvirtEventLoopIdWrapTest extends IdWrapSuite {
    @BeforeAll
    static void requireLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Override
    protected EventLoop newLoop() {
        return new LibvirtEventLoop();
    }
}
