package org.xlbridge.race;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.BridgeListener;
import org.xlbridge.driver.TimeoutRegistration;
import org.xlbridge.ids.IdReuseAudit;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.time.TimeSource;

/**
 * Watches the bridge (as its {@link BridgeListener}) and the toolstack's events (through
 * {@link #fired}) and counts violations of invariants I1–I8; the runner adds the ones it finds itself
 * (I4 and I5 at quiescence, I9 from the libvirt clients) through {@link #runnerViolation}. I10 is not
 * checked here: the race runs no asynchronous driver operation.
 *
 * <p>What it can see: which toolstack event a registration was made for (the worker announces it with
 * {@link #registering} on its own thread just before {@code registerAbs}, and the register hook runs
 * on that thread), which registration's {@code occurredTimeout} is being delivered on a dispatch thread
 * (set in {@link #beforeOccurredTimeout}), and which event's callback then runs. A callback run while
 * another registration's occurred is being delivered is a misdelivery (I1); a callback before its
 * deadline or after its event was deregistered is a stale fire (I2); a delivery for a registration whose
 * token libxl already took back (legacy deregister) is a use after release (I3).
 *
 * <p>Locking: per-registration and per-event records are reached through a ConcurrentHashMap or the
 * closures that own them, and their fields are atomics or volatile. {@link #timerIds} is guarded by its
 * own monitor. Violation counters are an AtomicLongArray. No lock is held while calling out.
 */
public final class InvariantChecker implements BridgeListener {
    private static final Logger log = LoggerFactory.getLogger(InvariantChecker.class);
    private static final int MAX_SAMPLES = 20;

    /** A toolstack event registration as the worker sees it. */
    public static final class EventRecord {
        static final int ARMED = 0;
        static final int CANCELLED = 1;
        static final int FIRED = 2;
        final long deadlineNanos;
        final AtomicInteger state = new AtomicInteger(ARMED);
        /** Set when a dispatch has begun delivering this event's occurredTimeout. */
        volatile boolean dispatchStarted;

        EventRecord(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        /** True once the event fired or was cancelled. */
        public boolean finished() {
            return state.get() != ARMED;
        }

        /** True once a loop dispatch has begun delivering this event's occurredTimeout. */
        public boolean dispatchStarted() {
            return dispatchStarted;
        }
    }

    private static final class RegRecord {
        // Set by timeoutRegistered (on the registering thread, ctx lock held); a dispatch may create the
        // record first, in the window between addTimeout returning and the listener call.
        volatile EventRecord event;
        final AtomicInteger deliveries = new AtomicInteger();
        volatile boolean tokenReleased;

        RegRecord(EventRecord event) {
            this.event = event;
        }

        static RegRecord unknownYet(TimeoutRegistration reg) {
            return new RegRecord(null);
        }
    }

    private final DeregistrationProtocol protocol;
    private final TimeSource clock;
    private final ConcurrentHashMap<TimeoutRegistration, RegRecord> regs = new ConcurrentHashMap<>();
    private final ThreadLocal<EventRecord> registeringEvent = new ThreadLocal<>();
    private final ThreadLocal<RegRecord> delivering = new ThreadLocal<>();
    private final AtomicLongArray violations = new AtomicLongArray(Invariant.values().length);
    private final List<String> samples = new ArrayList<>(); // guarded by itself
    /**
     * Thread-safe. I8 as far as this checker can judge it: it sees only the race's own timers, not every
     * add on the loop (libvirt clients and other workloads share it), so it cannot count the loop's
     * quarantine and checks the other half of the rule: no id handed out again while live (its free not
     * yet run). The full rule is judged where every add is seen ({@code IdAuditLoop}).
     */
    private final IdReuseAudit timerIds = new IdReuseAudit(0);
    private final Recorder lateness = new Recorder(3);
    private final AtomicInteger probeCountdown = new AtomicInteger(1);
    private volatile LibxlContext ctx;
    private final int probeEvery;
    private final AtomicLong reentrancyProbes = new AtomicLong();
    private final AtomicLong firedEvents = new AtomicLong();

    /**
     * @param protocol   the ctx's protocol (I7 applies to ASAP_MODIFY only)
     * @param clock      the ctx's clock, for deadline and lateness checks
     * @param probeEvery run the reentrancy probe (I6) on every n-th registration (0: never)
     */
    public InvariantChecker(DeregistrationProtocol protocol, TimeSource clock, int probeEvery) {
        this.protocol = protocol;
        this.clock = clock;
        this.probeEvery = probeEvery;
    }

    /** Gives the checker the ctx, for the reentrancy probe. */
    public void attach(LibxlContext context) {
        this.ctx = context;
    }

    // ------------------------------------------------------------- worker side

    /** A worker is about to register an event with this deadline; call on the worker's thread. */
    public EventRecord registering(long deadlineNanos) {
        EventRecord r = new EventRecord(deadlineNanos);
        registeringEvent.set(r);
        return r;
    }

    /** The worker's registerAbs returned (or threw). */
    public void registered() {
        registeringEvent.remove();
    }

    /** The worker deregistered the event of {@code r} (with the ctx lock held). */
    public void cancelled(EventRecord r) {
        r.state.compareAndSet(EventRecord.ARMED, EventRecord.CANCELLED);
    }

    /** An event's callback ran (with the ctx lock held, on the thread delivering occurredTimeout). */
    public void fired(EventRecord r, long requestedDeadlineNanos) {
        long now = clock.nanoTime();
        firedEvents.incrementAndGet();
        RegRecord via = delivering.get();
        if (via != null && via.event != r) {
            violation(Invariant.I1, "occurredTimeout of a registration made for another event fired this one");
        }
        int before = r.state.getAndSet(EventRecord.FIRED);
        if (before != EventRecord.ARMED) {
            violation(Invariant.I2, "callback of an event that was " + (before == EventRecord.CANCELLED
                    ? "deregistered" : "already fired"));
        } else if (now < requestedDeadlineNanos || requestedDeadlineNanos != r.deadlineNanos) {
            violation(Invariant.I2, "fired " + (r.deadlineNanos - now) / 1000 + " µs before its deadline");
        } else {
            lateness.recordValue(Math.max(0, (now - r.deadlineNanos) / 1000));
        }
    }

    // ------------------------------------------------------------- bridge side

    @Override
    public void timeoutRegistered(TimeoutRegistration reg) {
        EventRecord ev = registeringEvent.get();
        regs.computeIfAbsent(reg, RegRecord::unknownYet).event =
                ev != null ? ev : new EventRecord(reg.deadlineNanos());
        int id = reg.timerId();
        if (!timerIds.added(id)) {
            violation(Invariant.I8, "timer " + timerIds.lastReuse());
        }
        if (probeEvery > 0 && probeCountdown.decrementAndGet() <= 0) {
            probeCountdown.set(probeEvery);
            probeReentrancy(reg);
        }
    }

    private void probeReentrancy(TimeoutRegistration reg) {
        LibxlContext c = ctx;
        if (c == null) {
            return;
        }
        reentrancyProbes.incrementAndGet();
        try {
            c.occurredTimeout(reg.token());
            violation(Invariant.I6, "occurredTimeout from inside a hook did not throw");
        } catch (IllegalStateException expected) {
            // the rule held
        } catch (RuntimeException other) {
            violation(Invariant.I6, "occurredTimeout from inside a hook threw " + other);
        }
    }

    @Override
    public void timeoutDeregistered(TimeoutRegistration reg) {
        if (protocol == DeregistrationProtocol.ASAP_MODIFY) {
            violation(Invariant.I7, "timeoutDeregister called under ASAP_MODIFY");
        }
        RegRecord r = regs.get(reg);
        if (r != null) {
            r.tokenReleased = true;
        }
    }

    @Override
    public void beforeOccurredTimeout(TimeoutRegistration reg) {
        if (reg.state() == TimeoutRegistration.FREED) {
            violation(Invariant.I3, "delivery for a freed registration");
            return;
        }
        // The dispatch can run before the register hook's listener call: create the record then.
        RegRecord r = regs.computeIfAbsent(reg, RegRecord::unknownYet);
        if (r.deliveries.incrementAndGet() > 1) {
            violation(Invariant.I1, "second occurredTimeout for one registration");
        }
        if (r.tokenReleased) {
            violation(Invariant.I3, "occurredTimeout with a token libxl had already taken back (deregistered)");
        }
        EventRecord ev = r.event;
        if (ev != null) {
            ev.dispatchStarted = true;
        }
        delivering.set(r);
    }

    @Override
    public void afterOccurredTimeout(TimeoutRegistration reg) {
        delivering.remove();
        RegRecord r = regs.get(reg);
        if (r != null && r.tokenReleased) {
            // libxl took the token back (legacy deregister) while this delivery was on its way: the ctx
            // used a token that, in C, was already freed or handed to another event.
            violation(Invariant.I3, "occurredTimeout delivered a token libxl had already taken back");
        }
    }

    @Override
    public void timeoutFreed(TimeoutRegistration reg, int previousState) {
        timerIds.freed(reg.timerId()); // the loop releases the id only after this free returned
        RegRecord r = regs.remove(reg);
        if (r == null) {
            violation(Invariant.I3, "free of a registration that was already freed");
            return;
        }
        LibxlContext c = ctx;
        boolean closed = c != null && c.isClosed();
        if (r.deliveries.get() == 0 && !closed) {
            violation(Invariant.I1, "registration freed without any occurredTimeout ("
                    + (previousState == TimeoutRegistration.CANCELLED ? "legacy deregister" : "lost") + ")");
        }
    }

    @Override
    public void violation(String what) {
        violation(Invariant.I3, "bridge: " + what);
    }

    private void violation(Invariant inv, String what) {
        long n = violations.incrementAndGet(inv.ordinal());
        if (n <= 3) {
            log.warn("{} violated: {}", inv, what);
        }
        synchronized (samples) {
            if (samples.size() < MAX_SAMPLES) {
                samples.add(inv + ": " + what);
            }
        }
    }

    /**
     * Records a violation the runner found itself rather than through the bridge: a worker that failed or
     * did not finish (I5), a leak at quiescence (I4), a libvirt event lost, duplicated, out of order or off
     * the loop thread (I9).
     */
    public void runnerViolation(Invariant inv, String what) {
        violation(inv, what);
    }

    // ------------------------------------------------------------- results

    /** Violations per invariant so far. */
    public Map<Invariant, Long> violations() {
        Map<Invariant, Long> m = new EnumMap<>(Invariant.class);
        for (Invariant inv : Invariant.values()) {
            m.put(inv, violations.get(inv.ordinal()));
        }
        return m;
    }

    /** The first few violations, described. */
    public List<String> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** Registrations the bridge has not freed yet. */
    public int liveRegistrations() {
        return regs.size();
    }

    /** Lateness in µs of events that fired correctly, since the last call. */
    public Histogram latenessMicros(Histogram recycle) {
        return lateness.getIntervalHistogram(recycle);
    }

    public long reentrancyProbes() {
        return reentrancyProbes.get();
    }

    public long firedEvents() {
        return firedEvents.get();
    }
}
