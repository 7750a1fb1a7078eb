package org.xlbridge.libxl.xs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.TimeEvent;
import org.xlbridge.xen.XenException;

/**
 * Wait for a xenstore path with a timeout: libxl's {@code libxl__xswait_state} ({@code libxl_aoutils.c}). It owns a
 * {@link TimeEvent} and an {@link XsWatch}. Each watch notification reads the path and calls back with rc 0 and the
 * value, leaving the wait running: the caller decides whether it is satisfied and calls {@link #stop()}. If the
 * timeout fires first, the wait stops itself and calls back with {@code TIMEDOUT}.
 *
 * <p>Getting rid of the loser is {@link #stop()}: deregister the time event and the watch, as
 * {@code libxl__xswait_stop} does. Deregistering a time event the application was told about follows the ctx's
 * protocol: under {@code ASAP_MODIFY} it is {@code timeoutModify(ASAP)}, which may race the application's dispatch
 * of that very timeout; the ctx then discards the late {@code occurredTimeout}, so this wait's callback never runs
 * after {@link #stop()}. Under {@code LEGACY_DEREGISTER} that late call can reach whatever time event the recycled
 * nexus serves next: the stale-timeout bug, which {@link #firedEarly()} makes visible.
 *
 * <p>Locking: every field is guarded by the ctx lock; every method takes it.
 */
public final class XsWait {
    private static final Logger log = LoggerFactory.getLogger(XsWait.class);

    private final XsWatcher watcher;
    private final LibxlContext ctx;
    private final TimeEvent timeEv;
    private final XsWatch watch;
    /** Guarded by the ctx lock. */
    private String path;
    /** Guarded by the ctx lock. */
    private String what;
    /** Guarded by the ctx lock. */
    private XsWaitCallback callback;
    /** Guarded by the ctx lock. */
    private boolean firedEarly;

    /** A wait that uses {@code watcher}'s connection and ctx. */
    public XsWait(XsWatcher watcher) {
        this.watcher = watcher;
        this.ctx = watcher.context();
        this.timeEv = ctx.newTimeEvent();
        this.watch = watcher.newWatch();
    }

    /**
     * Starts waiting for {@code path} ({@code libxl__xswait_start}): a timeout of {@code timeoutMs} (negative:
     * none) and a watch. The watch fires once at once, so the callback sees the current value soon.
     *
     * @param what a description for logs ("domain 3 shutdown")
     * @throws LibxlException if either registration fails; then nothing is left registered
     */
    public void start(String what, String path, long timeoutMs, XsWaitCallback cb) {
        if (cb == null || path == null) {
            throw new IllegalArgumentException("path and callback must not be null");
        }
        ctx.withLock(() -> {
            if (isInUseLocked()) {
                throw new IllegalStateException("xswait already in use: " + this.what);
            }
            this.what = what;
            this.path = path;
            this.callback = cb;
            this.firedEarly = false;
            try {
                timeEv.registerRel(timeoutMs, this::onTimeout);
                watch.register(path, new XsWatchCallback() {
                    @Override
                    public void onWatch(XsWatch w, String watchPath, String eventPath) {
                        onWatchEvent();
                    }

                    @Override
                    public void onWatchFailed(XsWatch w, LibxlError error, String message) {
                        reportError(error.code(), message);
                    }
                });
            } catch (RuntimeException e) {
                stop();
                throw e;
            }
        });
    }

    /** Stops waiting ({@code libxl__xswait_stop}): deregisters the timeout and the watch. Idempotent. */
    public void stop() {
        ctx.withLock(() -> {
            timeEv.deregister();
            watch.deregister();
        });
    }

    /** Whether the wait is running ({@code libxl__xswait_inuse}). */
    public boolean isInUse() {
        return ctx.withLock(this::isInUseLocked);
    }

    /**
     * Whether the timeout callback ran before the deadline it was registered for, on the ctx's clock: impossible
     * under {@code ASAP_MODIFY}; under {@code LEGACY_DEREGISTER} it is what a stale {@code occurredTimeout} for a
     * recycled nexus does to the next wait.
     */
    public boolean firedEarly() {
        return ctx.withLock(() -> firedEarly);
    }

    /** The time event (for tests and diagnostics). */
    public TimeEvent timeEvent() {
        return timeEv;
    }

    private boolean isInUseLocked() {
        return timeEv.isRegistered() || watch.isRegistered();
    }

    private void onWatchEvent() {
        String data = null;
        if (!path.startsWith("@")) {
            try {
                data = watcher.connection().read(path);
            } catch (XenException e) {
                reportError(LibxlError.FAIL.code(), "reading " + path + ": " + e.getMessage());
                return;
            }
        }
        callback.onXsWait(this, 0, data);
    }

    private void onTimeout(TimeEvent ev, long requestedDeadline, int rc) {
        if (ctx.timeSource().nanoTime() < requestedDeadline) {
            firedEarly = true;
            log.warn("xswait {} ({}): timeout callback ran {} ns before its deadline", what, path,
                    requestedDeadline - ctx.timeSource().nanoTime());
        }
        log.debug("xswait {}: timed out (path {})", what, path);
        reportError(rc, "timed out waiting for " + what);
    }

    private void reportError(int rc, String message) {
        XsWaitCallback cb = callback;
        stop();
        log.debug("xswait {}: {}", what, message);
        cb.onXsWait(this, rc, null);
    }
}
