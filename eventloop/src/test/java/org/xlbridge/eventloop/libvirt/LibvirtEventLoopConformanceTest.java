package org.xlbridge.eventloop.libvirt;

import org.junit.jupiter.api.BeforeAll;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.conformance.EventLoopConformanceTest;

/** The conformance suite, run on libvirt's own default loop. */
class LibvirtEventLoopConformanceTest extends EventLoopConformanceTest {

    @BeforeAll
    static void requireLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Override
    protected EventLoop newLoop() {
        return new LibvirtEventLoop();
    }
}
