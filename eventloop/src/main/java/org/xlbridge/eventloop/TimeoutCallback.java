package org.xlbridge.eventloop;

/** Called on the loop thread when a timer expires ({@code virEventTimeoutCallback}). */
@FunctionalInterface
public interface TimeoutCallback {
    void onTimeout(int timer);
}
