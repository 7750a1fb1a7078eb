package org.xlbridge.libxl;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.xlbridge.time.TimeSource;

/**
 * A {@link TimeSource} that moves only when a test moves it. Thread-safe (atomic). Starts at an arbitrary
 * non-zero reading so that tests do not depend on time starting at zero.
 */
public final class VirtualClock implements TimeSource {
    /** The reading a new clock starts at. */
    public static final long START = 1_000_000_000_000L;

    private final AtomicLong now;

    public VirtualClock() {
        this(START);
    }

    public VirtualClock(long startNanos) {
        this.now = new AtomicLong(startNanos);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    /** Moves the clock forward by {@code d}. */
    public void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a monotonic clock does not go back: " + d);
        }
        now.addAndGet(d.toNanos());
    }

    /** Moves the clock forward by {@code ms} milliseconds. */
    public void advanceMillis(long ms) {
        advance(Duration.ofMillis(ms));
    }

    /** Moves the clock to {@code nanos} if that is later than now; returns the new reading. */
    public long advanceTo(long nanos) {
        return now.accumulateAndGet(nanos, Math::max);
    }

    /** Milliseconds since {@link #START} (for readable assertions). */
    public long millisSinceStart() {
        return (now.get() - START) / 1_000_000L;
    }
}
