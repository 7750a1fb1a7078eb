package org.xlbridge.eventloop.libvirt;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.xlbridge.eventloop.EventLoopException;

/**
 * {@code virEventRegisterImpl} and the six callback types it takes, bound to {@code libvirt.so.0} by JNA
 * direct mapping. libvirt-java has no binding for it (its {@code jna/Libvirt.java} lists it as missing).
 *
 * <p>The function pointers libvirt passes into the add callbacks ({@code cb} and {@code ff}) arrive as
 * JNA proxies of the native functions, or null; calling a proxy calls into libvirt.
 *
 * <p>As in {@link LibvirtNative}, a load failure is remembered, never thrown from the initialiser.
 */
final class EventImplNative {

    /** {@code virEventAddHandleFunc}: returns the watch id, or -1. */
    interface AddHandleFunc extends Callback {
        int invoke(int fd, int events, LibvirtNative.HandleFunc cb, Pointer opaque, LibvirtNative.FreeFunc ff);
    }

    /** {@code virEventUpdateHandleFunc}. */
    interface UpdateHandleFunc extends Callback {
        void invoke(int watch, int events);
    }

    /** {@code virEventRemoveHandleFunc}: 0, or -1 for an unknown watch. */
    interface RemoveHandleFunc extends Callback {
        int invoke(int watch);
    }

    /** {@code virEventAddTimeoutFunc}: returns the timer id, or -1. */
    interface AddTimeoutFunc extends Callback {
        int invoke(int timeoutMs, LibvirtNative.TimeoutFunc cb, Pointer opaque, LibvirtNative.FreeFunc ff);
    }

    /** {@code virEventUpdateTimeoutFunc}. */
    interface UpdateTimeoutFunc extends Callback {
        void invoke(int timer, int timeoutMs);
    }

    /** {@code virEventRemoveTimeoutFunc}: 0, or -1 for an unknown timer. */
    interface RemoveTimeoutFunc extends Callback {
        int invoke(int timer);
    }

    /** Null when the library was loaded and bound; otherwise why it was not. */
    private static final EventLoopException LOAD_FAILURE;

    static {
        EventLoopException failure = null;
        try {
            Native.register(EventImplNative.class, LibvirtNative.loadLibrary(LibvirtNative.LIBRARY));
        } catch (EventLoopException e) {
            failure = e;
        } catch (Throwable e) { // a missing symbol (LinkageError) or JNA itself unusable
            failure = new EventLoopException(LibvirtNative.LIBRARY + " could not be bound (" + e
                    + "): install or update the Debian package " + LibvirtNative.DEBIAN_PACKAGE, e);
        }
        LOAD_FAILURE = failure;
    }

    private EventImplNative() {
    }

    /** @throws EventLoopException (naming the Debian package libvirt0) when the library is not usable */
    static void requireLoaded() {
        LibvirtNative.requireLoaded();
        if (LOAD_FAILURE != null) {
            throw new EventLoopException(LOAD_FAILURE.getMessage(), LOAD_FAILURE);
        }
    }

    static native void virEventRegisterImpl(AddHandleFunc addHandle, UpdateHandleFunc updateHandle,
            RemoveHandleFunc removeHandle, AddTimeoutFunc addTimeout, UpdateTimeoutFunc updateTimeout,
            RemoveTimeoutFunc removeTimeout);
}
