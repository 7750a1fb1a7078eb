package org.xlbridge.eventloop.core;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * The parts of the {@link EventLoop} contract every implementation applies the same way, in one place:
 * the argument checks (semantic 9) and the callback-error rule (what a callback throws is counted and
 * the loop goes on, except a {@link VirtualMachineError} other than {@link StackOverflowError}, which
 * leaves {@code run()} / {@code runOnce()}).
 */
public final class Contract {
    private Contract() {
    }

    /** @throws IllegalArgumentException for a frequency below -1 */
    public static void requireFrequency(int frequencyMs) {
        if (frequencyMs < -1) {
            throw new IllegalArgumentException("frequencyMs must be -1 (disabled), 0 or positive: " + frequencyMs);
        }
    }

    /** The checks of {@code addTimeout}. @throws IllegalArgumentException naming the bad argument */
    public static void requireTimeout(int frequencyMs, TimeoutCallback cb) {
        requireFrequency(frequencyMs);
        if (cb == null) {
            throw new IllegalArgumentException("null TimeoutCallback");
        }
    }

    /** The checks of {@code addHandle}. @throws IllegalArgumentException naming the bad argument */
    public static void requireHandle(int fd, int events, HandleCallback cb) {
        if (fd < 0) {
            throw new IllegalArgumentException("negative fd: " + fd);
        }
        HandleEvents.requireValid(events);
        if (cb == null) {
            throw new IllegalArgumentException("null HandleCallback");
        }
    }

    /**
     * Whether {@code t}, thrown by a callback or a free, must be rethrown out of the loop rather than
     * counted: a {@link VirtualMachineError}, after which the JVM may be unable to go on, except a
     * stack overflow, whose stack has unwound by the time the loop catches it.
     */
    public static boolean isFatal(Throwable t) {
        return t instanceof VirtualMachineError && !(t instanceof StackOverflowError);
    }
}
