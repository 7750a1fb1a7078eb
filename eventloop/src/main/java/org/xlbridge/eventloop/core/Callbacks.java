package org.xlbridge.eventloop.core;

/**
 * The callback-error rule of {@link org.xlbridge.eventloop.EventLoop}, in one place for every loop: what
 * a callback throws is logged and counted, and the loop goes on, except a {@link VirtualMachineError}
 * other than {@link StackOverflowError} (an {@link OutOfMemoryError}, an {@link InternalError}), after
 * which the JVM may be unable to go on: that one leaves {@code run()} / {@code runOnce()}.
 */
public final class Callbacks {
    private Callbacks() {
    }

    /**
     * Whether {@code t}, thrown by a callback or a free, must be rethrown out of the loop rather than
     * counted. A stack overflow is not: the stack has unwound by the time the loop catches it.
     */
    public static boolean isFatal(Throwable t) {
        return t instanceof VirtualMachineError && !(t instanceof StackOverflowError);
    }
}
