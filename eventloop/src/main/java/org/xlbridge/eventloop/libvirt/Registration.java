package org.xlbridge.eventloop.libvirt;

import com.sun.jna.Pointer;
import org.xlbridge.eventloop.FreeCallback;

/**
 * One xlbridge registration (a timer or a handle) in libvirt's loop.
 *
 * <p>The opaque pointer libvirt carries for it is not an address but {@link #key}, the registration's
 * key in {@link CallbackRouter}: libvirt never dereferences it, and the Java object behind it stays in
 * the router until libvirt calls the free callback.
 *
 * <p>Locking: {@link #owner}, {@link #key} and {@link #free} are final; {@link #id} and {@link #nativeId}
 * are written once,
 * under the owner's lock, before the registration becomes visible to callers; every other field is
 * guarded by the owner's lock.
 */
abstract class Registration {
    final LibvirtEventLoop owner;
    final long key;
    final FreeCallback free;

    /** The id this loop handed out (its own, see {@link LibvirtEventLoop}). */
    int id;
    /** libvirt's timer or watch id, used for every call into libvirt. Written once with {@link #id}. */
    int nativeId;
    /** Removed from libvirt (or the owner closed): no callback of it starts any more. */
    boolean removed;
    /** Its callback is running (on the thread iterating libvirt's loop). */
    boolean inCallback;
    /** Its free must run as soon as the running callback returns (set by close()). */
    boolean freeAfterCallback;
    /** Its free has been taken to run, by exactly one thread. */
    boolean freeClaimed;

    Registration(LibvirtEventLoop owner, long key, FreeCallback free) {
        this.owner = owner;
        this.key = key;
        this.free = free;
    }

    /** The opaque pointer handed to libvirt: the router key, never dereferenced. */
    final Pointer opaque() {
        return new Pointer(key);
    }

    /** "timer" or "handle", for messages. */
    abstract String kind();

    @Override
    public String toString() {
        return kind() + " " + id;
    }
}
