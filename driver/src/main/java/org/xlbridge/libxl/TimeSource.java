package org.xlbridge.libxl;

/**
 * The ctx's clock: monotonic nanoseconds. Deadlines are on this clock, never on wall-clock time, so a
 * clock step neither fires nor stalls timers.
 */
@FunctionalInterface
public interface TimeSource {
    /** {@link System#nanoTime()}. */
    TimeSource SYSTEM = System::nanoTime;

    long nanoTime();
}
