package org.xlbridge.eventloop.core;

import org.xlbridge.eventloop.FreeCallback;

/**
 * What timers and handles have in common: an id (not handed out again while live or recently freed),
 * the free callback, and the
 * "removed" mark that turns every later update into a no-op.
 *
 * <p>Locking: {@link #removed} is guarded by the owning {@link CoreEventLoop}'s loop lock; the final
 * fields need no lock.
 */
abstract class Registration {
    final int id;
    /** May be null: nothing to free. */
    final FreeCallback free;
    /** Guarded by the loop lock. Set once by remove* or close; never cleared. */
    boolean removed;

    Registration(int id, FreeCallback free) {
        this.id = id;
        this.free = free;
    }

    /** "timer 7" or "handle 3 (fd 12)", for logs. */
    abstract String describe();
}
