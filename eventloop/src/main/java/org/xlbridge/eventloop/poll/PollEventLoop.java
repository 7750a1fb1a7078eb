package org.xlbridge.eventloop.poll;

import java.util.Objects;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.core.CoreEventLoop;
import org.xlbridge.time.TimeSource;

/**
 * The embedded {@link EventLoop}: the loop core ({@link CoreEventLoop}: ids, timers in a 4-ary heap with
 * a ready list beside it, frees, dispatch, stop and close) over ppoll(2) on raw fds through JNA, with an
 * eventfd (or pipe) to wake a blocked poll ({@link PpollPoller}). Needs no libvirt. The iteration, the
 * locking rules and the timer structure are the core's; see {@code docs/eventloop.md}.
 */
public final class PollEventLoop extends CoreEventLoop {

    /** A loop on the system monotonic clock. */
    public PollEventLoop() {
        this(TimeSource.SYSTEM);
    }

    /**
     * A loop whose expiry arithmetic uses {@code clock}; poll's timeout is derived from it too.
     *
     * @throws EventLoopException if no wakeup fd can be created
     */
    public PollEventLoop(TimeSource clock) {
        super("PollEventLoop", Objects.requireNonNull(clock, "clock"), new PpollPoller());
    }

    /** The poll timeout the next iteration would use, by the clock as it reads now (-1: no limit). */
    long pollTimeoutNanos() {
        return nextPollTimeoutNanos();
    }
}
