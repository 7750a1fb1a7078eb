package org.xlbridge.eventloop;

/** Called on the loop thread when a watched fd is ready ({@code virEventHandleCallback}). */
@FunctionalInterface
public interface HandleCallback {
    /**
     * @param events the {@link HandleEvents} bits that are ready
     */
    void onEvent(int watch, int fd, int events);
}
