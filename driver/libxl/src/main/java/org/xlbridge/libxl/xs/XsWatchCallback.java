package org.xlbridge.libxl.xs;

import org.xlbridge.libxl.LibxlError;

/**
 * What an {@link XsWatch} calls: libxl's {@code libxl__ev_xswatch_callback}, plus a failure path for a lost xenstore
 * connection (where libxl would declare an event disaster). Both run with the ctx lock held.
 */
public interface XsWatchCallback {
    /**
     * The watched path, or a path below it, may have changed; read it to see. Also called once right after the watch
     * is set (xenstore fires a new watch at once).
     *
     * @param watch     the watch
     * @param watchPath the path the watch was set on
     * @param eventPath the path that fired
     */
    void onWatch(XsWatch watch, String watchPath, String eventPath);

    /**
     * The xenstore connection was lost; the watch has already been deregistered and will not fire again.
     *
     * @param watch   the watch
     * @param error   {@link LibxlError#FAIL}
     * @param message what happened
     */
    default void onWatchFailed(XsWatch watch, LibxlError error, String message) {
    }
}
