package org.xlbridge.libxl;

import java.util.ArrayList;
import java.util.List;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.Wakeup;
import org.xlbridge.time.Millis;

/**
 * The poll-style integration of one ctx ({@code libxl_osevent_beforepoll} / {@code _afterpoll}), behind
 * {@link LibxlContext#beforePoll()} and {@link LibxlContext#afterPoll}: it builds the {@link PollRequest},
 * dispatches what poll(2) found and what expired, and owns the wakeup fd that tells an application sleeping
 * in poll(2) on an older request that an event was added (libxl's {@code poller_app} pipe). The fd is made by
 * the first {@link #beforePoll()}, so a ctx used only through hooks never has one. {@code docs/libxl-core.md}
 * ("Polling instead of hooks") describes the protocol.
 *
 * <p>Locking rules: every method except {@link #reventsOf} is called by the ctx with the ctx lock held, which
 * guards every field here.
 */
final class PollIntegration {
    private final LibxlContext ctx;
    /** Made by the first beforePoll; null until then and after close. Guarded by the ctx lock. */
    private Wakeup wakeup;
    /** The wakeup was signalled and not yet drained by afterPoll (libxl's pipe_nonempty). Guarded by the ctx lock. */
    private boolean wakeupPending;

    PollIntegration(LibxlContext ctx) {
        this.ctx = ctx;
    }

    /** Builds what to poll now: the fd events with a non-zero mask, the wakeup fd, the timeout. */
    PollRequest beforePoll() {
        if (wakeup == null) {
            // A pipe, as libxl's: one signal is one readable byte.
            wakeup = Wakeup.openPipe((message, cause) ->
                    new LibxlException(LibxlError.FAIL, "cannot make the wakeup fd: " + message, cause));
            wakeupPending = false;
        }
        long now = ctx.timeSource().nanoTime();
        int n = 0;
        for (FdEvent ev : ctx.registeredFdEvents()) {
            if (ev.events != 0) {
                n++;
            }
        }
        int[] fds = new int[n + 1];
        int[] bits = new int[n + 1];
        FdEvent[] owners = new FdEvent[n + 1];
        long[] generations = new long[n + 1];
        int i = 0;
        for (FdEvent ev : ctx.registeredFdEvents()) {
            if (ev.events != 0) {
                fds[i] = ev.fd;
                bits[i] = ev.events;
                owners[i] = ev;
                generations[i] = ev.generation;
                i++;
            }
        }
        fds[i] = wakeup.pollFd();
        bits[i] = Posix.POLLIN;
        TimeEvent earliest = ctx.earliestTimeEvent();
        int timeoutMs = earliest == null ? -1 : Millis.until(earliest.deadline, now);
        return new PollRequest(ctx, now, timeoutMs, fds, bits, owners, generations);
    }

    /**
     * The revents of {@code request}'s entries, read from {@code polled[offset ..]}. Touches no ctx state.
     *
     * @throws IllegalArgumentException if {@code polled} does not hold the request there
     */
    static int[] reventsOf(PollRequest request, PollFds polled, int offset) {
        if (offset < 0 || offset + request.size() > polled.capacity()) {
            throw new IllegalArgumentException("polled does not hold " + request.size() + " entries at " + offset);
        }
        int[] revents = new int[request.size()];
        for (int i = 0; i < revents.length; i++) {
            if (polled.fd(offset + i) != request.fd(i)) {
                throw new IllegalArgumentException("polled entry " + (offset + i) + " has fd " + polled.fd(offset + i)
                        + ", the request has " + request.fd(i));
            }
            revents[i] = polled.revents(offset + i);
        }
        return revents;
    }

    /**
     * Dispatches a checked request on an open ctx: ready fd events first, then the time events due when this call
     * started, earliest first; then drains the wakeup fd if it was readable. Stops dispatching once a callback
     * closes the ctx.
     */
    void afterPoll(PollRequest request, int[] revents) {
        long now = ctx.timeSource().nanoTime();
        boolean wakeupSeen = false;
        for (int i = 0; i < request.size() && !ctx.isClosed(); i++) {
            FdEvent ev = request.owner(i);
            if (ev == null) {
                wakeupSeen |= (revents[i] & Posix.POLLIN) != 0;
                continue;
            }
            if (!ev.registered || ev.generation != request.generation(i) || ev.fd != request.fd(i)) {
                continue;
            }
            // Mask with the current bits, in case a modify narrowed them since beforePoll.
            if ((revents[i] & (ev.events | Posix.POLLERR | Posix.POLLHUP | Posix.POLLNVAL)) == 0) {
                continue;
            }
            ctx.fdOccurs(ev);
        }
        if (!ctx.isClosed()) {
            List<TimeEvent> due = ctx.timeEventsDueBy(now);
            List<Long> dueSeqs = new ArrayList<>(due.size());
            for (TimeEvent ev : due) {
                dueSeqs.add(ev.seq);
            }
            for (int i = 0; i < due.size() && !ctx.isClosed(); i++) {
                TimeEvent ev = due.get(i);
                if (!ev.registered || ev.seq != dueSeqs.get(i)) {
                    continue; // deregistered (or re-registered) by an earlier callback
                }
                ctx.fireExpired(ev);
            }
        }
        if (wakeupSeen && wakeup != null) {
            try {
                wakeup.drain();
            } catch (LibxlException e) {
                ctx.log().error("{}: {}", ctx.name(), e.getMessage(), e);
            }
            wakeupPending = false;
        }
    }

    /**
     * libxl's {@code pollers_note_osevent_added}: an event was added (or an fd modify added bits), so an
     * application polling on a set from an earlier beforePoll must wake up and ask again. One signal per round is
     * enough. A failure is logged: the registration itself is complete, only the wakeup's promptness is lost.
     */
    void noteOsEventAdded() {
        if (wakeup == null || wakeupPending) {
            return;
        }
        wakeupPending = true;
        try {
            wakeup.signal();
        } catch (LibxlException e) {
            ctx.log().error("{}: {}", ctx.name(), e.getMessage(), e);
        }
    }

    /** Closes the wakeup fd, if any (ctx close). */
    void close() {
        if (wakeup != null) {
            wakeup.close();
            wakeup = null;
        }
    }
}
