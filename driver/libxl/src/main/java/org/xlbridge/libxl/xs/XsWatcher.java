package org.xlbridge.libxl.xs;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.libxl.FdEvent;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.posix.Posix;
import org.xlbridge.xen.XenException;
import org.xlbridge.xen.XsConnection;
import org.xlbridge.xen.XsWatchEvent;

/**
 * libxl's xenstore watch machinery for one ctx and one xenstore connection ({@code libxl_event.c}: the watch slots,
 * {@code watch_efd}, {@code watchfd_callback}). The connection's fd is watched with one {@link FdEvent}, registered
 * with the first watch and deregistered when the last one goes, exactly as libxl does. Each watch gets a slot in a
 * table and a token {@code "slot/counter"}; a notification is delivered only if its slot still holds a watch with
 * that counter and the path is at or below the watched one, so a late notification for a watch that was removed, or
 * whose slot was reused, is dropped (counted in {@link #staleNotifications()}).
 *
 * <p>If the connection is lost (its writer died: EOF on the fd), every registered watch is deregistered and told
 * through {@link XsWatchCallback#onWatchFailed} with {@link LibxlError#FAIL}; later registrations fail with FAIL.
 *
 * <p>Locking: every field is guarded by the ctx lock ({@link LibxlContext#withLock}); the connection's own locks are
 * taken inside it (ctx lock, then host and store locks).
 */
public final class XsWatcher {
    private static final Logger log = LoggerFactory.getLogger(XsWatcher.class);

    private final LibxlContext ctx;
    private final XsConnection conn;
    /** The fd event on the connection's fd, registered while any watch is. Guarded by the ctx lock. */
    private final FdEvent watchEfd;
    /** Slot table. Guarded by the ctx lock. */
    private final List<XsWatch> slots = new ArrayList<>();
    /** Free slot numbers, most recently freed first (libxl's free list). Guarded by the ctx lock. */
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    /** Guarded by the ctx lock. */
    private long counter;
    /** Guarded by the ctx lock. */
    private int registered;
    /** The connection was lost. Guarded by the ctx lock. */
    private boolean lost;
    /** Guarded by the ctx lock. */
    private long delivered;
    /** Guarded by the ctx lock. */
    private long stale;

    /** Watch machinery for {@code ctx} on {@code conn}; registers nothing until the first watch. */
    public XsWatcher(LibxlContext ctx, XsConnection conn) {
        if (ctx == null || conn == null) {
            throw new IllegalArgumentException("ctx and connection must not be null");
        }
        this.ctx = ctx;
        this.conn = conn;
        this.watchEfd = ctx.newFdEvent();
    }

    /** The ctx. */
    public LibxlContext context() {
        return ctx;
    }

    /** The xenstore connection. */
    public XsConnection connection() {
        return conn;
    }

    /** A new, unregistered watch. */
    public XsWatch newWatch() {
        return new XsWatch(this);
    }

    /** Watches registered now. */
    public int registeredWatches() {
        return ctx.withLock(() -> registered);
    }

    /** Whether the store's fd is watched now (true exactly while a watch is registered, unless the store was lost). */
    public boolean isFdWatched() {
        return watchEfd.isRegistered();
    }

    /** Notifications delivered to a watch callback. */
    public long deliveredNotifications() {
        return ctx.withLock(() -> delivered);
    }

    /** Notifications dropped because their watch was gone, its slot reused, or the path did not match. */
    public long staleNotifications() {
        return ctx.withLock(() -> stale);
    }

    /** Whether the xenstore connection was found lost. */
    public boolean isLost() {
        return ctx.withLock(() -> lost);
    }

    void register(XsWatch w, String path, XsWatchCallback cb) {
        if (cb == null) {
            throw new IllegalArgumentException("watch callback must not be null");
        }
        ctx.withLock(() -> {
            if (w.slot >= 0) {
                throw new IllegalStateException("watch is already registered: " + w);
            }
            if (lost) {
                throw new LibxlException(LibxlError.FAIL, "cannot watch " + path + ": the xenstore connection is lost");
            }
            boolean fdRegisteredHere = false;
            if (!watchEfd.isRegistered()) {
                watchEfd.register(conn.fd(), Posix.POLLIN, (ev, fd, events, revents) -> onFd(revents));
                fdRegisteredHere = true;
            }
            int slot = freeSlots.isEmpty() ? newSlot() : freeSlots.pop();
            long c = ++counter;
            try {
                conn.watch(path, slot + "/" + c);
            } catch (XenException e) {
                freeSlots.push(slot);
                if (fdRegisteredHere || registered == 0) {
                    watchEfd.deregister();
                }
                throw new LibxlException(e.kind() == XenException.Kind.INVALID ? LibxlError.INVAL : LibxlError.FAIL,
                        "cannot watch " + path + ": " + e.getMessage(), e);
            }
            w.slot = slot;
            w.counter = c;
            w.path = path;
            w.callback = cb;
            slots.set(slot, w);
            registered++;
        });
    }

    void deregister(XsWatch w) {
        ctx.withLock(() -> {
            if (w.slot < 0) {
                return;
            }
            conn.unwatch(w.path, w.slot + "/" + w.counter);
            release(w);
            if (registered == 0) {
                watchEfd.deregister();
            }
        });
    }

    /** Frees the watch's slot. Called with the ctx lock held. */
    private void release(XsWatch w) {
        slots.set(w.slot, null);
        freeSlots.push(w.slot);
        w.slot = -1;
        w.callback = null;
        registered--;
    }

    private int newSlot() {
        slots.add(null);
        return slots.size() - 1;
    }

    /** libxl's {@code watchfd_callback}: drain the connection, deliver what still matches. Ctx lock held. */
    private void onFd(int revents) {
        List<XsWatchEvent> events;
        try {
            events = conn.readWatchEvents();
        } catch (XenException e) {
            connectionLost(e.getMessage());
            return;
        }
        for (XsWatchEvent e : events) {
            deliver(e);
        }
        if ((revents & Posix.POLLHUP) != 0 && watchEfd.isRegistered()) {
            // The writer closed its end after these: the next read will say so; do it now rather than spin.
            try {
                List<XsWatchEvent> more = conn.readWatchEvents();
                for (XsWatchEvent e : more) {
                    deliver(e);
                }
            } catch (XenException e2) {
                connectionLost(e2.getMessage());
            }
        }
    }

    private void deliver(XsWatchEvent e) {
        String token = e.token();
        int sep = token.indexOf('/');
        int slot;
        long c;
        try {
            slot = Integer.parseInt(token.substring(0, sep));
            c = Long.parseLong(token.substring(sep + 1));
        } catch (RuntimeException bad) {
            stale++;
            log.debug("watch event {} with a token not ours ignored", e);
            return;
        }
        XsWatch w = slot >= 0 && slot < slots.size() ? slots.get(slot) : null;
        if (w == null || w.counter != c || !isSubpath(w.path, e.path())) {
            stale++;
            log.debug("stale watch event {} ignored", e);
            return;
        }
        delivered++;
        XsWatchCallback cb = w.callback;
        cb.onWatch(w, w.path, e.path());
    }

    /** The connection is gone: drop every watch and tell its owner. Ctx lock held. */
    private void connectionLost(String why) {
        if (lost) {
            return;
        }
        lost = true;
        log.error("xenstore connection lost ({}); failing {} watch(es)", why, registered);
        watchEfd.deregister();
        List<XsWatch> victims = new ArrayList<>();
        for (XsWatch w : slots) {
            if (w != null) {
                victims.add(w);
            }
        }
        List<XsWatchCallback> cbs = new ArrayList<>();
        for (XsWatch w : victims) {
            cbs.add(w.callback);
            conn.unwatch(w.path, w.slot + "/" + w.counter);
            release(w);
        }
        String msg = "xenstore connection lost: " + why;
        for (int i = 0; i < victims.size(); i++) {
            try {
                cbs.get(i).onWatchFailed(victims.get(i), LibxlError.FAIL, msg);
            } catch (RuntimeException ex) {
                log.error("watch failure callback threw", ex);
            }
        }
    }

    /** xenstore's rule: {@code child} is {@code parent} or below it; special paths match only themselves. */
    static boolean isSubpath(String parent, String child) {
        if (child.equals(parent)) {
            return true;
        }
        if (parent.startsWith("@")) {
            return false;
        }
        return parent.equals("/") ? child.startsWith("/") : child.startsWith(parent + "/");
    }
}
