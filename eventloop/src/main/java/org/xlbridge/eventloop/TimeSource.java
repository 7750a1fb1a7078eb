package org.xlbridge.eventloop;

/** A monotonic clock in nanoseconds, replaceable in tests. */
@FunctionalInterface
public interface TimeSource {
    /** The system's monotonic clock, {@link System#nanoTime()}. */
    TimeSource SYSTEM = System::nanoTime;

    long nanoTime();
}
