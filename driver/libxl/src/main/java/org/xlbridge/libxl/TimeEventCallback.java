package org.xlbridge.libxl;

import org.xlbridge.time.TimeSource;

/**
 * What a {@link TimeEvent} calls when its deadline has passed: libxl's {@code libxl__ev_time_callback}.
 *
 * <p>Runs with the ctx lock held, on whichever thread delivered the timeout ({@link LibxlContext#occurredTimeout}
 * or {@link LibxlContext#afterPoll}). When it runs, the event is already deregistered; the callback may register
 * or deregister any event, this one included. An exception it throws is logged and counted
 * ({@link LibxlStats#callbackFailures()}), never passed to the application's event loop.
 */
@FunctionalInterface
public interface TimeEventCallback {
    /**
     * @param event                  the event that timed out (now unregistered)
     * @param requestedDeadlineNanos the deadline it was registered with, on the ctx's {@link TimeSource}
     * @param rc                     always {@link LibxlError#TIMEDOUT}{@code .code()}
     */
    void onTimeout(TimeEvent event, long requestedDeadlineNanos, int rc);
}
