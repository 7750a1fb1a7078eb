package org.xlbridge.libxl.xs;

/** What an {@link XsWait} calls: libxl's {@code libxl__xswait_callback}. Runs with the ctx lock held. */
@FunctionalInterface
public interface XsWaitCallback {
    /**
     * @param wait the wait
     * @param rc   0 when the path may have changed ({@code data} is its value, null if absent or a special path;
     *             the wait is still running, stop it when satisfied), or an error ({@code TIMEDOUT} when the timeout
     *             fired first, {@code FAIL} when xenstore was lost) after which the wait is already stopped
     * @param data the path's value when {@code rc == 0}
     */
    void onXsWait(XsWait wait, int rc, String data);
}
