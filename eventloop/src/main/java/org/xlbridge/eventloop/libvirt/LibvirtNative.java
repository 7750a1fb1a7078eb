package org.xlbridge.eventloop.libvirt;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import org.xlbridge.eventloop.EventLoopException;

/**
 * The libvirt event API, bound to {@code libvirt.so.0} by JNA direct mapping.
 *
 * <p>libvirt-java (0.5.3, 0.5.4) maps only part of this API ({@code virEventAddTimeout} with its free callback
 * typed as a bare {@code Pointer}, and no handle calls), so the whole event API is mapped here, with
 * real callback types, in one binding: every call of {@link LibvirtEventLoop} goes through it.
 *
 * <p>The library is loaded once, when this class initialises. A failure is remembered (never thrown from
 * the initialiser) so that {@link #isLoaded()} can answer without throwing and {@link #requireLoaded()}
 * can report it with the name of the Debian package to install.
 */
final class LibvirtNative {
    /** The shared object, as the dynamic loader knows it. */
    static final String LIBRARY = "libvirt.so.0";
    /** The Debian package that ships {@link #LIBRARY}. */
    static final String DEBIAN_PACKAGE = "libvirt0";

    /** {@code virEventTimeoutCallback}: {@code void (*)(int timer, void *opaque)}. */
    interface TimeoutFunc extends Callback {
        void invoke(int timer, Pointer opaque);
    }

    /** {@code virEventHandleCallback}: {@code void (*)(int watch, int fd, int events, void *opaque)}. */
    interface HandleFunc extends Callback {
        void invoke(int watch, int fd, int events, Pointer opaque);
    }

    /** {@code virFreeCallback}: {@code void (*)(void *opaque)}. */
    interface FreeFunc extends Callback {
        void invoke(Pointer opaque);
    }

    /** Null when the library was loaded and bound; otherwise why it was not. */
    private static final EventLoopException LOAD_FAILURE;

    static {
        EventLoopException failure = null;
        try {
            Native.register(LibvirtNative.class, loadLibrary(LIBRARY));
        } catch (EventLoopException e) {
            failure = e;
        } catch (Throwable e) { // a missing symbol (LinkageError) or JNA itself unusable
            failure = new EventLoopException(LIBRARY + " could not be bound (" + e
                    + "): install or update the Debian package " + DEBIAN_PACKAGE, e);
        }
        LOAD_FAILURE = failure;
    }

    private LibvirtNative() {
    }

    /**
     * Opens a native library by name.
     *
     * @throws EventLoopException naming {@link #DEBIAN_PACKAGE} when the library cannot be opened
     */
    static NativeLibrary loadLibrary(String name) {
        try {
            return NativeLibrary.getInstance(name);
        } catch (UnsatisfiedLinkError e) {
            throw new EventLoopException(missingLibraryMessage(name), e);
        }
    }

    /** The message of the error raised when {@code name} cannot be opened. */
    static String missingLibraryMessage(String name) {
        return name + " not found: install the Debian package " + DEBIAN_PACKAGE;
    }

    /** True when {@link #LIBRARY} was opened and every function below is bound. */
    static boolean isLoaded() {
        return LOAD_FAILURE == null;
    }

    /**
     * @throws EventLoopException (a fresh one, caused by the original) when the library is not usable
     */
    static void requireLoaded() {
        if (LOAD_FAILURE != null) {
            throw new EventLoopException(LOAD_FAILURE.getMessage(), LOAD_FAILURE);
        }
    }

    /** libvirt's last error on this thread, for messages; never null. */
    static String lastErrorMessage() {
        String message = virGetLastErrorMessage();
        return message == null ? "no libvirt error recorded" : message;
    }

    static native int virInitialize();

    static native int virEventRegisterDefaultImpl();

    static native int virEventRunDefaultImpl();

    static native int virEventAddTimeout(int timeoutMs, TimeoutFunc cb, Pointer opaque, FreeFunc ff);

    static native void virEventUpdateTimeout(int timer, int timeoutMs);

    static native int virEventRemoveTimeout(int timer);

    static native int virEventAddHandle(int fd, int events, HandleFunc cb, Pointer opaque, FreeFunc ff);

    static native void virEventUpdateHandle(int watch, int events);

    static native int virEventRemoveHandle(int watch);

    static native String virGetLastErrorMessage();
}
