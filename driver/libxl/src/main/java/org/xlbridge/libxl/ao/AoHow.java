package org.xlbridge.libxl.ao;

import java.util.Objects;

/**
 * How an asynchronous operation reports completion: libxl's {@code libxl_asyncop_how}. Either a callback
 * ({@link #callback}), or synchronous ({@link #synchronous()}, libxl's {@code ao_how == NULL}): the initiating call
 * blocks until the operation completes and returns it completed. Optionally with progress reports. Immutable.
 */
public final class AoHow {
    private static final AoHow SYNC = new AoHow(null, null);

    private final AoCallback callback;
    private final AoProgress progress;

    private AoHow(AoCallback callback, AoProgress progress) {
        this.callback = callback;
        this.progress = progress;
    }

    /** Completion through {@code cb}, called once. */
    public static AoHow callback(AoCallback cb) {
        return new AoHow(Objects.requireNonNull(cb, "callback"), null);
    }

    /**
     * Synchronous: the call returns when the operation is complete. With a ctx that has osevent hooks, other threads
     * (the application's event loop) must keep the ctx running meanwhile; with a poll-only ctx the waiting thread
     * polls the ctx itself, as libxl's synchronous calls do.
     */
    public static AoHow synchronous() {
        return SYNC;
    }

    /** This how, with progress reports to {@code p}. */
    public AoHow withProgress(AoProgress p) {
        return new AoHow(callback, Objects.requireNonNull(p, "progress"));
    }

    /** Whether the operation is synchronous. */
    public boolean isSynchronous() {
        return callback == null;
    }

    AoCallback callbackOrNull() {
        return callback;
    }

    AoProgress progressOrNull() {
        return progress;
    }

    @Override
    public String toString() {
        return callback == null ? "AoHow[synchronous]" : "AoHow[callback]";
    }
}
