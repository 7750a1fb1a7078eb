package org.xlbridge.eventloop.poll;

import java.util.concurrent.atomic.AtomicLong;
import org.xlbridge.time.TimeSource;

/** A clock that moves only when the test says so. */
final class FakeClock implements TimeSource {
    private final AtomicLong now;

    FakeClock(long start) {
        now = new AtomicLong(start);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    void set(long nanos) {
        now.set(nanos);
    }

    void advanceNanos(long nanos) {
        now.addAndGet(nanos);
    }
}
