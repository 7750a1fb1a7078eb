package org.xlbridge.eventloop.core;

import java.util.List;
import org.xlbridge.eventloop.EventLoopException;

/**
 * What a {@link CoreEventLoop} waits in: the part of an event loop that differs between production
 * (ppoll(2) over the watched fds and a wakeup fd) and tests (a poller that reports what the test says
 * is ready). Everything else, ids, timers, frees, dispatch, stop and close, is the core's.
 *
 * <p>Threads and locks, as the core calls it: {@link #watch} and {@link #wake()} with the loop lock
 * held; {@link #poll}, {@link #readyHandle} and {@link #readyEvents} on the runner without the lock;
 * {@link #close()} once, with the lock held and no runner inside {@link #poll}. {@link #wake()} may come
 * from any thread, and must make a {@link #poll} that is under way, or the next one, return promptly.
 */
public interface Poller {

    /**
     * The handles to watch changed: from the next {@link #poll} on, watch {@code handles} (the live
     * ones, in registration order; those whose {@link HandleRegistration#events()} is 0 are registered
     * but not watched). The list is the core's: copy what is needed, keep no reference to it.
     */
    void watch(List<HandleRegistration> handles);

    /**
     * Waits until a watched handle is ready, {@link #wake()} is called, or {@code timeoutNanos} pass
     * ({@code < 0}: no limit; {@code 0}: do not wait at all), then reports the ready handles. A
     * pending wake is consumed.
     *
     * @return how many handles are ready; {@link #readyHandle(int)} and {@link #readyEvents(int)} give
     *         them for indexes below it, until the next poll
     * @throws EventLoopException if the system call fails
     */
    int poll(long timeoutNanos);

    /** The {@code i}-th ready handle of the last {@link #poll}. */
    HandleRegistration readyHandle(int i);

    /** Its {@link org.xlbridge.eventloop.HandleEvents} bits as reported (the core masks them). */
    int readyEvents(int i);

    /** Makes the current or the next {@link #poll} return; called with the loop lock held. */
    void wake();

    /**
     * Whether {@link #poll} swallowed an interrupt of the running thread since the last call (a poller
     * whose wait cannot be interrupted answers false). The core re-asserts it when the runner leaves.
     */
    default boolean takeSwallowedInterrupt() {
        return false;
    }

    /** Releases what the poller holds (fds, memory). */
    void close();
}
