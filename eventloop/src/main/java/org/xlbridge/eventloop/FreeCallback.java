package org.xlbridge.eventloop;

/**
 * Releases what a registration owns ({@code virFreeCallback}). Runs exactly once, on the loop thread,
 * after the registration was removed and once no callback of that registration can run any more.
 */
@FunctionalInterface
public interface FreeCallback {
    void free();
}
