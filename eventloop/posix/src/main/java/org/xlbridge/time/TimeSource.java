package org.xlbridge.time;

/**
 * A monotonic clock in nanoseconds, replaceable in tests. The event loops measure expiries on it and the
 * libxl model its deadlines: never wall-clock time, so a clock step neither fires nor stalls timers.
 */
@FunctionalInterface
public interface TimeSource {
    /** The system's monotonic clock, {@link System#nanoTime()}. */
    TimeSource SYSTEM = System::nanoTime;

    long nanoTime();
}
