package org.xlbridge.libxl.xs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;

/**
 * Wait for a device backend to reach a xenbus state, with a timeout: libxl's {@code libxl__ev_devstate}
 * ({@code libxl_event.c}), built on {@link XsWait}. Calls back once: 0 when the state path holds the wanted state,
 * {@code TIMEDOUT} when the timeout wins, {@code INVAL} when the path is removed, {@code FAIL} when xenstore is
 * lost. Other states are waited through.
 *
 * <p>Locking: every field is guarded by the ctx lock.
 */
public final class DevStateWait {
    private static final Logger log = LoggerFactory.getLogger(DevStateWait.class);

    /** Xenbus states ({@code xen/io/xenbus.h}). */
    public static final int XENBUS_INITIALISING = 1;
    public static final int XENBUS_INIT_WAIT = 2;
    public static final int XENBUS_CONNECTED = 4;
    public static final int XENBUS_CLOSING = 5;
    public static final int XENBUS_CLOSED = 6;

    /** What a {@link DevStateWait} calls, once, with the ctx lock held. */
    @FunctionalInterface
    public interface Callback {
        void onDevState(DevStateWait ds, int rc);
    }

    private final LibxlContext ctx;
    private final XsWait wait;
    /** Guarded by the ctx lock. */
    private int wanted;
    /** Guarded by the ctx lock. */
    private Callback callback;

    public DevStateWait(XsWatcher watcher) {
        this.ctx = watcher.context();
        this.wait = new XsWait(watcher);
    }

    /**
     * Starts waiting for {@code statePath} to hold {@code state} ({@code libxl__ev_devstate_wait}).
     *
     * @throws org.xlbridge.libxl.LibxlException if the wait cannot be set up; nothing is left registered
     */
    public void start(String statePath, int state, long timeoutMs, Callback cb) {
        if (cb == null) {
            throw new IllegalArgumentException("callback must not be null");
        }
        ctx.withLock(() -> {
            this.wanted = state;
            this.callback = cb;
            wait.start("backend " + statePath + " (hoping for state " + state + ")", statePath, timeoutMs,
                    this::onXsWait);
        });
    }

    /** Stops waiting ({@code libxl__ev_devstate_cancel}). Idempotent. */
    public void cancel() {
        wait.stop();
    }

    /** Whether the wait is running. */
    public boolean isInUse() {
        return wait.isInUse();
    }

    /** The underlying xswait. */
    public XsWait xswait() {
        return wait;
    }

    private void onXsWait(XsWait w, int rc, String data) {
        if (rc == 0) {
            if (data == null) {
                log.debug("backend wanted state {} but its state path was removed", wanted);
                rc = LibxlError.INVAL.code();
            } else {
                int got;
                try {
                    got = Integer.parseInt(data.trim());
                } catch (NumberFormatException e) {
                    got = -1;
                }
                if (got != wanted) {
                    return; // still waiting
                }
            }
        }
        cancel();
        callback.onDevState(this, rc);
    }
}
