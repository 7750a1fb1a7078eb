package org.xlbridge.driver.api;

/** How {@link Domains#shutdownOrDestroy} ended. */
public enum ShutdownResult {
    /** The guest shut itself down within the timeout. */
    BY_GUEST,
    /** The guest did not stop within the timeout and was destroyed. */
    DESTROYED_AFTER_TIMEOUT
}
