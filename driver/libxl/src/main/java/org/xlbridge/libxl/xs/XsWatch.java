package org.xlbridge.libxl.xs;

/**
 * A xenstore watch held by toolstack code: libxl's {@code libxl__ev_xswatch}. Made by {@link XsWatcher#newWatch()},
 * registered with {@link #register}, fires its callback on the ctx's thread of delivery with the ctx lock held, and
 * is deregistered with {@link #deregister()} (safe from inside its own callback, and twice).
 *
 * <p>Locking: every field is guarded by the ctx lock of its {@link XsWatcher}.
 */
public final class XsWatch {
    private final XsWatcher watcher;
    /** Slot in the watcher's table, or -1 when not registered. Guarded by the ctx lock. */
    int slot = -1;
    /** The registration's counter value, part of its token. Guarded by the ctx lock. */
    long counter;
    /** Guarded by the ctx lock. */
    String path;
    /** Guarded by the ctx lock. */
    XsWatchCallback callback;

    XsWatch(XsWatcher watcher) {
        this.watcher = watcher;
    }

    /**
     * Sets the watch on {@code path} ({@code libxl__ev_xswatch_register}); the callback runs once soon after, then
     * on every change at or below the path.
     *
     * @throws org.xlbridge.libxl.LibxlException FAIL if the xenstore connection is lost, INVAL for a bad path, or
     *                                           the hook's error if the store's fd cannot be watched; nothing is
     *                                           left registered
     * @throws IllegalStateException             if already registered
     */
    public void register(String path, XsWatchCallback cb) {
        watcher.register(this, path, cb);
    }

    /** Removes the watch ({@code libxl__ev_xswatch_deregister}); a no-op if not registered. */
    public void deregister() {
        watcher.deregister(this);
    }

    /** Whether the watch is registered. */
    public boolean isRegistered() {
        return watcher.context().withLock(() -> slot >= 0);
    }

    /** The watched path of the current registration, or null. */
    public String path() {
        return watcher.context().withLock(() -> slot >= 0 ? path : null);
    }

    @Override
    public String toString() {
        return watcher.context().withLock(() -> slot >= 0 ? "XsWatch[" + path + ", token " + slot + "/" + counter
                + "]" : "XsWatch[unregistered]");
    }
}
