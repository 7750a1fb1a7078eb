package org.xlbridge.host;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.IdWraps;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.ids.IdReuseAudit;

/**
 * A pass-through {@link EventLoop} that checks I8 for {@code xlbridge host} and {@code xlbridge soak}: no
 * id is handed out again while it is live (its free callback has not run) or within the loops' quarantine
 * after its free ran (see {@code docs/invariants.md}). It sees every add and, through a wrapper around the
 * free callback, every free. Everything else goes to the wrapped loop unchanged (callbacks run where it
 * runs them). Registered as libvirt's event implementation, it sees libvirt's ids too. Memory: the live
 * ids plus the ids freed within the last quarantine of adds ({@link IdReuseAudit}).
 *
 * <p>A registration added with no free callback gets one here (to see the free), so the wrapped loop
 * counts its free as pending until it ran.
 *
 * <p>Locking: the two audits are thread-safe (their own monitors); nothing else is shared.
 */
public final class IdAuditLoop extends ForwardingEventLoop implements IdWraps {
    private final IdReuseAudit timerIds = IdReuseAudit.forLoopIds("timer");
    private final IdReuseAudit watchIds = IdReuseAudit.forLoopIds("watch");

    public IdAuditLoop(EventLoop inner) {
        super(inner);
    }

    /** The loop this audits. */
    public EventLoop inner() {
        return delegate();
    }

    /** Ids handed out again while live or recently freed so far (I8). */
    public long reusedIds() {
        return timerIds.reuses() + watchIds.reuses();
    }

    /** The last reuse seen, described, or null. */
    public String lastReuse() {
        String t = timerIds.lastReuse();
        return t != null ? "timer " + t : watchIds.lastReuse() != null ? "watch " + watchIds.lastReuse() : null;
    }

    /** Timer ids the loop handed out so far. */
    public long timerIdsHandedOut() {
        return timerIds.adds();
    }

    /** Watch (handle) ids the loop handed out so far. */
    public long watchIdsHandedOut() {
        return watchIds.adds();
    }

    /** Times the wrapped loop's timer id counter wrapped (-1 if it does not say). */
    @Override
    public long timerIdWraps() {
        return IdWraps.of(delegate())[0];
    }

    /** Times the wrapped loop's watch id counter wrapped (-1 if it does not say). */
    @Override
    public long watchIdWraps() {
        return IdWraps.of(delegate())[1];
    }

    private static FreeCallback seeing(IdReuseAudit audit, IdReuseAudit.Ticket ticket, FreeCallback ff) {
        return () -> {
            try {
                if (ff != null) {
                    ff.free();
                }
            } finally {
                audit.freed(ticket);
            }
        };
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        IdReuseAudit.Ticket ticket = watchIds.ticket();
        int id = super.addHandle(fd, events, cb, seeing(watchIds, ticket, ff));
        watchIds.added(ticket, id);
        return id;
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        IdReuseAudit.Ticket ticket = timerIds.ticket();
        int id = super.addTimeout(frequencyMs, cb, seeing(timerIds, ticket, ff));
        timerIds.added(ticket, id);
        return id;
    }

    @Override
    public String toString() {
        return delegate().toString();
    }
}
