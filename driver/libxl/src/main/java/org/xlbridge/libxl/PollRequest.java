package org.xlbridge.libxl;

import java.util.Arrays;
import org.xlbridge.posix.PollFds;

/**
 * What {@link LibxlContext#beforePoll()} asks the application to poll: libxl's {@code libxl_osevent_beforepoll}
 * output, as an immutable snapshot. It lists one {@code struct pollfd} entry per registered fd event with a
 * non-zero event mask, plus one entry for the ctx's wakeup pipe (written when an event is added after this
 * request was made, so that a poll(2) sleeping on a stale set wakes up), and the poll timeout that reaches the
 * earliest registered deadline.
 *
 * <p>Use: {@code req = ctx.beforePoll(); req.fill(pollFds, 0); pollFds.poll(req.size(), req.timeoutMs());
 * ctx.afterPoll(req, pollFds, 0);} with no ctx lock held around the poll. The entries may be placed anywhere in a
 * larger array ({@code offset}), next to the application's own fds. Only one thread at a time should poll with
 * this interface (as in libxl).
 *
 * <p>Immutable and safe to share; the entries remember which registration they were made for, so
 * {@link LibxlContext#afterPoll} ignores an entry whose event was deregistered or re-registered in between.
 */
public final class PollRequest {
    private final LibxlContext ctx;
    private final long nowNanos;
    private final int timeoutMs;
    private final int[] fds;
    private final int[] events;
    // null marks the wakeup pipe's entry
    private final FdEvent[] owners;
    private final long[] generations;

    PollRequest(LibxlContext ctx, long nowNanos, int timeoutMs, int[] fds, int[] events, FdEvent[] owners,
                long[] generations) {
        this.ctx = ctx;
        this.nowNanos = nowNanos;
        this.timeoutMs = timeoutMs;
        this.fds = fds;
        this.events = events;
        this.owners = owners;
        this.generations = generations;
    }

    LibxlContext context() {
        return ctx;
    }

    FdEvent owner(int i) {
        return owners[i];
    }

    long generation(int i) {
        return generations[i];
    }

    /** Number of {@code struct pollfd} entries to poll. */
    public int size() {
        return fds.length;
    }

    /** The fd of entry {@code i}. */
    public int fd(int i) {
        return fds[i];
    }

    /** The poll(2) event bits of entry {@code i}. */
    public int events(int i) {
        return events[i];
    }

    /** True if entry {@code i} is the ctx's own wakeup pipe rather than an fd event. */
    public boolean isWakeup(int i) {
        return owners[i] == null;
    }

    /**
     * The poll(2) timeout in ms that reaches the earliest registered deadline (rounded up, so the deadline has
     * passed when it expires; 0 if it has already passed; at most {@link Integer#MAX_VALUE}), or -1 if no finite
     * timeout is registered. An application with timeouts of its own takes the smaller of the two.
     */
    public int timeoutMs() {
        return timeoutMs;
    }

    /** The ctx's clock reading the timeout was computed from. */
    public long nowNanos() {
        return nowNanos;
    }

    /** Writes the entries into {@code target} from index {@code offset}, growing it if needed. */
    public void fill(PollFds target, int offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        target.ensureCapacity(offset + fds.length);
        for (int i = 0; i < fds.length; i++) {
            target.set(offset + i, fds[i], events[i]);
        }
    }

    @Override
    public String toString() {
        return "PollRequest[fds=" + Arrays.toString(fds) + ", timeoutMs=" + timeoutMs + "]";
    }
}
