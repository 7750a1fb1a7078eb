package org.xlbridge.eventloop.poll;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.conformance.EventLoopConformanceTest;

/** The embedded loop passes the whole conformance suite. */
class PollEventLoopConformanceTest extends EventLoopConformanceTest {
    @Override
    protected EventLoop newLoop() {
        return new PollEventLoop();
    }
}
