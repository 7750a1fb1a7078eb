package org.xlbridge.eventloop;

/** A native failure of an event loop: a system call failed, or a native library could not be used. */
public class EventLoopException extends RuntimeException {
    public EventLoopException(String message) {
        super(message);
    }

    public EventLoopException(String message, Throwable cause) {
        super(message, cause);
    }
}
