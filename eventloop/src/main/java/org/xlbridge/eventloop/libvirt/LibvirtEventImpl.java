package org.xlbridge.eventloop.libvirt;

import com.sun.jna.Pointer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.FreeCallback;

/**
 * Makes an xlbridge {@link EventLoop} libvirt's event implementation ({@code virEventRegisterImpl}), so
 * that every libvirt connection of the process (domain events, keepalive, remote sockets), opened through
 * libvirt-java or otherwise, runs on that loop. libvirt-java has no such call; this is its Java
 * equivalent of libvirt-python's {@code libvirtaio}. See {@code docs/libvirt-clients.md}.
 *
 * <pre>{@code
 * EventLoop loop = new PollEventLoop();
 * LibvirtEventImpl.register(loop);          // before the first connection
 * new Thread(loop::run, "event-loop").start();
 * Connect conn = new Connect("qemu:///system");
 * }</pre>
 *
 * <p>What libvirt's six calls become: add/update/remove handle and timeout go to the loop unchanged (ids
 * and {@link org.xlbridge.eventloop.HandleEvents} bits are libvirt's own values, so they pass 1:1);
 * libvirt's {@code cb} runs on the loop thread when the loop dispatches; libvirt's {@code ff(opaque)}
 * runs from the loop's {@link FreeCallback}, so on the loop thread after the registration's last
 * callback returned, never inside a remove call (libvirt would deadlock). A loop that refuses a call
 * (bad argument, closed) answers {@code -1} to libvirt, which reports its own error; no Java exception
 * ever reaches libvirt's C frames: each entry point catches, logs and answers {@code -1} or ignores.
 *
 * <p>Once per process, as libvirt allows only one implementation and ignores later ones. Registration
 * is checked, not assumed: after {@code virEventRegisterImpl}, a probe {@code virEventAddTimeout(-1)}
 * must reach this class, otherwise another implementation (libvirt's default one, registered by
 * {@link LibvirtEventLoop} or by libvirt-java's {@code Library.initEventLoop()}) got there first and
 * {@link #register} throws. Conversely, {@link LibvirtEventLoop} refuses to start in a process whose
 * implementation is a registered loop.
 *
 * <p><b>Closing the registered loop.</b> The registration does not keep the loop open and does not stop
 * it from closing: libvirt cannot unregister an implementation, so this class cannot either. Close the
 * loop only after every libvirt connection is closed and its frees ran ({@link #liveRegistrations()} is
 * 0); that is libvirt's own rule. If the loop is closed earlier, its {@link EventLoop#close()} runs the
 * outstanding frees, so libvirt releases what it attached to the loop (nothing leaks), and from then on
 * every call from libvirt is refused safely: add answers {@code -1} (libvirt reports, for example, that
 * it cannot add the domain event timer), update is ignored, remove answers {@code -1}. The first refusal
 * is logged as an error naming the closed loop. No event is delivered any more in this process, and no
 * other loop can be registered.
 *
 * <p>Reachability: the six callback objects libvirt holds are static final fields, strongly reachable
 * for the life of the process (JNA drops the native trampoline of a collected callback). libvirt's own
 * {@code cb}/{@code ff} proxies and opaque pointer live in the loop's registration until its free ran.
 *
 * <p>Locking: {@link #register} runs under the {@link ProcessLoop} class monitor (the one
 * {@link ProcessLoop#get()} holds), so that registering this implementation and libvirt's default one
 * exclude each other. {@link #current} and the probe fields are written under it and volatile for the
 * entry points, which take no lock. The counters of an instance are atomics. The loop's own lock is
 * taken only inside the loop's methods.
 */
public final class LibvirtEventImpl {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtEventImpl.class);

    private static final EventImplNative.AddHandleFunc ADD_HANDLE = new AddHandleEntry();
    private static final EventImplNative.UpdateHandleFunc UPDATE_HANDLE = new UpdateHandleEntry();
    private static final EventImplNative.RemoveHandleFunc REMOVE_HANDLE = new RemoveHandleEntry();
    private static final EventImplNative.AddTimeoutFunc ADD_TIMEOUT = new AddTimeoutEntry();
    private static final EventImplNative.UpdateTimeoutFunc UPDATE_TIMEOUT = new UpdateTimeoutEntry();
    private static final EventImplNative.RemoveTimeoutFunc REMOVE_TIMEOUT = new RemoveTimeoutEntry();
    /** The probe's timeout callback; never called (the probe timer is disabled and never added). */
    private static final LibvirtNative.TimeoutFunc PROBE_CALLBACK = new ProbeEntry();

    /** Written under the ProcessLoop class monitor. The registered instance, or null. */
    private static volatile LibvirtEventImpl current;
    /**
     * Written under the ProcessLoop class monitor. Where the entry points send libvirt's calls: the
     * instance being registered (its probe is under way), then the registered one for good.
     */
    private static volatile LibvirtEventImpl target;
    /** Written under the ProcessLoop class monitor. The probe's opaque value while a probe runs, else 0. */
    private static volatile long probeKey;
    /** Written by the add-timeout entry point when the probe reached it. */
    private static volatile boolean probeReached;
    /** Guarded by the ProcessLoop class monitor. Distinguishes the probes of successive attempts. */
    private static long probes;

    private final EventLoop loop;
    /** libvirt's handles added to the loop whose free has not finished. */
    private final AtomicInteger liveHandles = new AtomicInteger();
    /** libvirt's timers added to the loop whose free has not finished. */
    private final AtomicInteger liveTimeouts = new AtomicInteger();
    /** Calls of libvirt's the loop refused (answered -1 or ignored). */
    private final AtomicLong refusals = new AtomicLong();
    /** Set by the first refusal, which is logged as an error (later ones at debug level). */
    private final AtomicBoolean refusalLogged = new AtomicBoolean();

    private LibvirtEventImpl(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Registers {@code loop} as libvirt's event implementation, once per process; call it before the
     * first libvirt connection is opened. Registering the same loop again returns the existing instance.
     *
     * @throws IllegalArgumentException if {@code loop} is null
     * @throws IllegalStateException    if a different loop is already registered (the message names it),
     *                                  or {@code loop} is closed
     * @throws EventLoopException       if libvirt.so.0 is missing (naming the Debian package libvirt0), or
     *                                  another event implementation is already in place (libvirt keeps
     *                                  the first one); nothing is registered then
     */
    public static LibvirtEventImpl register(EventLoop loop) {
        if (loop == null) {
            throw new IllegalArgumentException("null EventLoop");
        }
        EventImplNative.requireLoaded();
        synchronized (ProcessLoop.class) {
            LibvirtEventImpl existing = current;
            if (existing != null) {
                if (existing.loop == loop) {
                    return existing;
                }
                throw new IllegalStateException("libvirt's event implementation is already the loop " + existing.loop
                        + " (registered once per process; libvirt cannot replace it), so " + loop
                        + " cannot be registered: use the registered loop");
            }
            requireOpen(loop);
            if (LibvirtNative.virInitialize() < 0) {
                throw new EventLoopException("virInitialize failed: " + LibvirtNative.lastErrorMessage());
            }
            LibvirtEventImpl impl = new LibvirtEventImpl(loop);
            target = impl;
            EventImplNative.virEventRegisterImpl(ADD_HANDLE, UPDATE_HANDLE, REMOVE_HANDLE, ADD_TIMEOUT,
                    UPDATE_TIMEOUT, REMOVE_TIMEOUT);
            if (!probe()) {
                target = null;
                throw new EventLoopException("another event implementation is already registered with libvirt in"
                        + " this process (libvirt's default one, registered by LibvirtEventLoop, libvirt-java's"
                        + " Library.initEventLoop() or virEventRegisterDefaultImpl), and libvirt keeps the first:"
                        + " call LibvirtEventImpl.register(loop) before anything else registers one and before the"
                        + " first connection, or use LibvirtEventLoop as the loop instead of registering " + loop);
            }
            current = impl;
            LOG.info("libvirt's event implementation is now {}", loop);
            return impl;
        }
    }

    /** The registered instance, if any. */
    public static Optional<LibvirtEventImpl> current() {
        return Optional.ofNullable(current);
    }

    /** The loop libvirt's events run on. */
    public EventLoop loop() {
        return loop;
    }

    /** libvirt's registrations (handles + timeouts) currently live on the loop, i.e. added and not yet freed. */
    public int liveRegistrations() {
        return liveHandles.get() + liveTimeouts.get();
    }

    /** libvirt's handles (sockets, pipes) added to the loop and not yet freed. */
    public int liveHandles() {
        return liveHandles.get();
    }

    /** libvirt's timers (event queues, keepalive) added to the loop and not yet freed. */
    public int liveTimeouts() {
        return liveTimeouts.get();
    }

    /** Calls from libvirt the loop refused: answered -1 or ignored (a closed loop, a bad argument). */
    public long refusals() {
        return refusals.get();
    }

    @Override
    public String toString() {
        return "LibvirtEventImpl[loop=" + loop + ", handles=" + liveHandles.get() + ", timeouts="
                + liveTimeouts.get() + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Registration helpers (under the ProcessLoop class monitor)

    /** Throws the loop's own IllegalStateException if it is closed, before libvirt learns of it. */
    private static void requireOpen(EventLoop loop) {
        int id = loop.addTimeout(-1, timer -> { }, null);
        loop.removeTimeout(id);
    }

    /**
     * Whether libvirt's implementation is ours: a disabled timeout added through libvirt's public API
     * must reach {@link AddTimeoutEntry}, which recognises the probe's opaque value and answers -1
     * without touching the loop. If it reached another implementation, that one's timer is removed.
     */
    private static boolean probe() {
        long key = 0x7862_0000_0000L + ++probes; // never a real opaque pointer of ours: those are never added
        probeReached = false;
        probeKey = key;
        int id;
        try {
            id = LibvirtNative.virEventAddTimeout(-1, PROBE_CALLBACK, new Pointer(key), null);
        } finally {
            probeKey = 0;
        }
        if (probeReached) {
            return true;
        }
        if (id > 0) {
            LibvirtNative.virEventRemoveTimeout(id);
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------
    // libvirt's calls, on the instance (each may throw; the entry points catch)

    private int addHandle(int fd, int events, LibvirtNative.HandleFunc cb, Pointer opaque, LibvirtNative.FreeFunc ff) {
        if (cb == null) {
            refused("virEventAddHandle(fd " + fd + ") without a callback", null);
            return -1;
        }
        liveHandles.incrementAndGet();
        try {
            return loop.addHandle(fd, events, (watch, readyFd, ready) -> cb.invoke(watch, readyFd, ready, opaque),
                    new NativeFree(ff, opaque, liveHandles));
        } catch (RuntimeException e) {
            liveHandles.decrementAndGet(); // the loop added nothing, so it will never free it
            refused("virEventAddHandle(fd " + fd + ", events " + events + ")", e);
            return -1;
        }
    }

    private void updateHandle(int watch, int events) {
        try {
            loop.updateHandle(watch, events);
        } catch (RuntimeException e) {
            refused("virEventUpdateHandle(" + watch + ", events " + events + ")", e);
        }
    }

    private int removeHandle(int watch) {
        try {
            return loop.removeHandle(watch) ? 0 : -1;
        } catch (RuntimeException e) {
            refused("virEventRemoveHandle(" + watch + ")", e);
            return -1;
        }
    }

    private int addTimeout(int timeoutMs, LibvirtNative.TimeoutFunc cb, Pointer opaque, LibvirtNative.FreeFunc ff) {
        if (cb == null) {
            refused("virEventAddTimeout(" + timeoutMs + " ms) without a callback", null);
            return -1;
        }
        liveTimeouts.incrementAndGet();
        try {
            return loop.addTimeout(timeoutMs, timer -> cb.invoke(timer, opaque), new NativeFree(ff, opaque, liveTimeouts));
        } catch (RuntimeException e) {
            liveTimeouts.decrementAndGet();
            refused("virEventAddTimeout(" + timeoutMs + " ms)", e);
            return -1;
        }
    }

    private void updateTimeout(int timer, int timeoutMs) {
        try {
            loop.updateTimeout(timer, timeoutMs);
        } catch (RuntimeException e) {
            refused("virEventUpdateTimeout(" + timer + ", " + timeoutMs + " ms)", e);
        }
    }

    private int removeTimeout(int timer) {
        try {
            return loop.removeTimeout(timer) ? 0 : -1;
        } catch (RuntimeException e) {
            refused("virEventRemoveTimeout(" + timer + ")", e);
            return -1;
        }
    }

    private void refused(String call, RuntimeException why) {
        refusals.incrementAndGet();
        String reason = why == null ? "" : ": " + why.getMessage();
        if (refusalLogged.compareAndSet(false, true)) {
            LOG.error("the event loop {} refused libvirt's {}{} (libvirt reports its own error; if the loop was"
                    + " closed, libvirt's events stop for the rest of the process: close libvirt connections"
                    + " before the registered loop; further refusals are logged at debug level)",
                    loop, call, reason);
        } else {
            LOG.debug("the event loop {} refused libvirt's {}{}", loop, call, reason);
        }
    }

    /** The loop's free callback for one of libvirt's registrations: libvirt's ff, then the count. */
    private static final class NativeFree implements FreeCallback {
        private final LibvirtNative.FreeFunc ff;
        private final Pointer opaque;
        private final AtomicInteger live;

        NativeFree(LibvirtNative.FreeFunc ff, Pointer opaque, AtomicInteger live) {
            this.ff = ff;
            this.opaque = opaque;
            this.live = live;
        }

        @Override
        public void free() {
            try {
                if (ff != null) {
                    ff.invoke(opaque);
                }
            } finally {
                live.decrementAndGet();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The six entry points libvirt calls. Each catches everything: nothing unwinds into C.

    private static LibvirtEventImpl target(String call) {
        LibvirtEventImpl t = target;
        if (t == null) {
            LOG.error("libvirt called {} but no loop is registered; refused", call);
        }
        return t;
    }

    private static final class AddHandleEntry implements EventImplNative.AddHandleFunc {
        @Override
        public int invoke(int fd, int events, LibvirtNative.HandleFunc cb, Pointer opaque, LibvirtNative.FreeFunc ff) {
            try {
                LibvirtEventImpl t = target("virEventAddHandle");
                return t == null ? -1 : t.addHandle(fd, events, cb, opaque, ff);
            } catch (Throwable e) {
                LOG.error("internal error in virEventAddHandle(fd {}); answered -1", fd, e);
                return -1;
            }
        }
    }

    private static final class UpdateHandleEntry implements EventImplNative.UpdateHandleFunc {
        @Override
        public void invoke(int watch, int events) {
            try {
                LibvirtEventImpl t = target("virEventUpdateHandle");
                if (t != null) {
                    t.updateHandle(watch, events);
                }
            } catch (Throwable e) {
                LOG.error("internal error in virEventUpdateHandle({}); ignored", watch, e);
            }
        }
    }

    private static final class RemoveHandleEntry implements EventImplNative.RemoveHandleFunc {
        @Override
        public int invoke(int watch) {
            try {
                LibvirtEventImpl t = target("virEventRemoveHandle");
                return t == null ? -1 : t.removeHandle(watch);
            } catch (Throwable e) {
                LOG.error("internal error in virEventRemoveHandle({}); answered -1", watch, e);
                return -1;
            }
        }
    }

    private static final class AddTimeoutEntry implements EventImplNative.AddTimeoutFunc {
        @Override
        public int invoke(int timeoutMs, LibvirtNative.TimeoutFunc cb, Pointer opaque, LibvirtNative.FreeFunc ff) {
            try {
                long key = probeKey;
                if (key != 0 && Pointer.nativeValue(opaque) == key) {
                    probeReached = true; // register()'s probe: ours is the implementation in place
                    return -1;
                }
                LibvirtEventImpl t = target("virEventAddTimeout");
                return t == null ? -1 : t.addTimeout(timeoutMs, cb, opaque, ff);
            } catch (Throwable e) {
                LOG.error("internal error in virEventAddTimeout({} ms); answered -1", timeoutMs, e);
                return -1;
            }
        }
    }

    private static final class ProbeEntry implements LibvirtNative.TimeoutFunc {
        @Override
        public void invoke(int timer, Pointer opaque) {
            // never called: the probe's timer is disabled, and removed at once where it was added
        }
    }

    private static final class UpdateTimeoutEntry implements EventImplNative.UpdateTimeoutFunc {
        @Override
        public void invoke(int timer, int timeoutMs) {
            try {
                LibvirtEventImpl t = target("virEventUpdateTimeout");
                if (t != null) {
                    t.updateTimeout(timer, timeoutMs);
                }
            } catch (Throwable e) {
                LOG.error("internal error in virEventUpdateTimeout({}); ignored", timer, e);
            }
        }
    }

    private static final class RemoveTimeoutEntry implements EventImplNative.RemoveTimeoutFunc {
        @Override
        public int invoke(int timer) {
            try {
                LibvirtEventImpl t = target("virEventRemoveTimeout");
                return t == null ? -1 : t.removeTimeout(timer);
            } catch (Throwable e) {
                LOG.error("internal error in virEventRemoveTimeout({}); answered -1", timer, e);
                return -1;
            }
        }
    }
}
