package org.xlbridge.eventloop.testing;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.conformance.IdWrapSuite;
import org.xlbridge.time.TimeSource;

/** {@link IdWrapSuite} on the manual loop, its virtual clock following the system clock. */
class ManualEventLoopIdWrapTest extends IdWrapSuite {
    @Override
    protected EventLoop newLoop() {
        return ManualEventLoop.following(TimeSource.SYSTEM);
    }
}
