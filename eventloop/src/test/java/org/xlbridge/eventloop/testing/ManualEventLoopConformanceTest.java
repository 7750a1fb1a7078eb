package org.xlbridge.eventloop.testing;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.conformance.EventLoopConformanceTest;
import org.xlbridge.time.TimeSource;

/**
 * The conformance suite against {@link ManualEventLoop}'s dispatch logic, in the mode that keeps its
 * virtual clock up with the system clock (the suite measures real time). The handle tests do not apply:
 * a manual loop never polls fds, its handles fire only through {@link ManualEventLoop#fireHandle}, which
 * {@link ManualEventLoopTest} covers.
 */
class ManualEventLoopConformanceTest extends EventLoopConformanceTest {
    @Override
    protected EventLoop newLoop() {
        return ManualEventLoop.following(TimeSource.SYSTEM);
    }

    @Override
    protected boolean supportsHandles() {
        return false;
    }
}
