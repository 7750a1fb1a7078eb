package org.xlbridge.daemon.server;

import org.xlbridge.ids.IdAllocator;

/**
 * Event callback ids handed to clients ({@code callbackID} of CALLBACK_REGISTER_ANY): positive, and never
 * handed out again while a client may still name them. They come from an {@link IdAllocator}: at the end of
 * the int range they wrap to 1, skipping ids still registered and ids released fewer than its quarantine
 * of allocations ago (docs/eventloop.md, "Ids"). An id is released when its client deregisters it, or when
 * the client's socket has left the loop (its handle's free: no call of that client can run any more).
 *
 * <p>Locking: {@code this} guards the allocator (registrations run on the loop thread, but a daemon may
 * serve on a pooled loop).
 */
public final class CallbackIds {
    /** Guarded by this. */
    private final IdAllocator ids = IdAllocator.configured("callback");

    /** A fresh id. @throws IllegalStateException when every id of the space is registered */
    public synchronized int next() {
        return ids.allocate();
    }

    /** The client no longer names {@code id}: it may come back after the quarantine. */
    public synchronized void release(int id) {
        ids.release(id);
    }

    /** Ids registered now (not counting released ids still in quarantine). */
    public synchronized int registered() {
        return ids.taken() - ids.resting();
    }

    /** How many times the ids wrapped to 1. */
    public synchronized long wraps() {
        return ids.wraps();
    }
}
