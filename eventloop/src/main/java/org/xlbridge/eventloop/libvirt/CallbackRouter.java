package org.xlbridge.eventloop.libvirt;

import com.sun.jna.Pointer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry points libvirt calls, and the process-wide table that routes each call to its registration.
 *
 * <p>Callback reachability. JNA turns a Java callback object into a native function pointer that stays
 * valid only while the object is strongly reachable; once it is collected, a call from libvirt lands in
 * freed memory ("callback object has been garbage collected"). Here there are exactly three callback
 * objects for every registration of every loop, held in static final fields, so they are never
 * collected and only three native trampolines ever exist. What differs per registration is the opaque
 * pointer, which carries a key of {@link #BY_KEY}: the {@link Registration} (and through it the caller's
 * callbacks) stays in that table from just before libvirt learns of it until libvirt calls
 * {@link #FREE} for it, which is libvirt's promise that it will never use the opaque pointer again.
 *
 * <p>No exception ever leaves an entry point: each catches everything, logs it and returns, because an
 * exception cannot unwind through libvirt's and GLib's C frames.
 *
 * <p>Locking: {@link #BY_KEY} is a concurrent map and {@link #NEXT_KEY} an atomic; nothing else is
 * shared. The entry points take the owning loop's lock only inside the loop's own dispatch methods.
 */
final class CallbackRouter {
    private static final Logger LOG = LoggerFactory.getLogger(CallbackRouter.class);

    /** Every registration libvirt may still call back for, by key. */
    private static final ConcurrentHashMap<Long, Registration> BY_KEY = new ConcurrentHashMap<>();
    /** The last key handed out; keys start at 1 so that no opaque pointer is NULL. */
    private static final AtomicLong NEXT_KEY = new AtomicLong();

    /** libvirt's timeout callback for every xlbridge timer. */
    static final LibvirtNative.TimeoutFunc TIMEOUT = new TimeoutEntry();
    /** libvirt's handle callback for every xlbridge handle. */
    static final LibvirtNative.HandleFunc HANDLE = new HandleEntry();
    /** libvirt's free callback for every xlbridge registration. */
    static final LibvirtNative.FreeFunc FREE = new FreeEntry();

    private CallbackRouter() {
    }

    /** A key no other registration has had in this process. */
    static long newKey() {
        return NEXT_KEY.incrementAndGet();
    }

    /** Makes {@code r} reachable from libvirt's calls; done before libvirt learns of it. */
    static void register(Registration r) {
        BY_KEY.put(r.key, r);
    }

    /** Drops {@code r}; only when libvirt will never call back for it (its free ran, or it never got it). */
    static void forget(Registration r) {
        BY_KEY.remove(r.key, r);
    }

    /** Registrations libvirt may still call back for (all loops). */
    static int size() {
        return BY_KEY.size();
    }

    private static Registration lookup(Pointer opaque) {
        return BY_KEY.get(Pointer.nativeValue(opaque));
    }

    private static final class TimeoutEntry implements LibvirtNative.TimeoutFunc {
        @Override
        public void invoke(int timer, Pointer opaque) {
            try {
                ProcessLoop.countNativeCallback();
                if (!ProcessLoop.admitDispatch()) {
                    return; // another thread iterates libvirt's loop: never run a callback there
                }
                Registration r = lookup(opaque);
                if (r instanceof TimerRegistration) {
                    TimerRegistration t = (TimerRegistration) r;
                    t.owner.dispatchTimer(t);
                } else {
                    LOG.debug("libvirt fired timer {} with an unknown opaque key; ignored", timer);
                }
            } catch (Throwable t) {
                LOG.error("internal error while dispatching libvirt timer {}; the loop goes on", timer, t);
            }
        }
    }

    private static final class HandleEntry implements LibvirtNative.HandleFunc {
        @Override
        public void invoke(int watch, int fd, int events, Pointer opaque) {
            try {
                ProcessLoop.countNativeCallback();
                if (!ProcessLoop.admitDispatch()) {
                    return;
                }
                Registration r = lookup(opaque);
                if (r instanceof HandleRegistration) {
                    HandleRegistration h = (HandleRegistration) r;
                    h.owner.dispatchHandle(h, events);
                } else {
                    LOG.debug("libvirt reported events {} on watch {} (fd {}) with an unknown opaque key; ignored",
                            events, watch, fd);
                }
            } catch (Throwable t) {
                LOG.error("internal error while dispatching libvirt watch {} (fd {}); the loop goes on", watch, fd, t);
            }
        }
    }

    private static final class FreeEntry implements LibvirtNative.FreeFunc {
        @Override
        public void invoke(Pointer opaque) {
            try {
                ProcessLoop.countNativeCallback();
                Registration r = BY_KEY.remove(Pointer.nativeValue(opaque));
                if (r == null) {
                    LOG.warn("libvirt freed an unknown opaque key {}; ignored", Pointer.nativeValue(opaque));
                }
            } catch (Throwable t) {
                LOG.error("internal error in libvirt's free callback", t);
            }
        }
    }
}
