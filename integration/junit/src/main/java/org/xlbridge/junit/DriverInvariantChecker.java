package org.xlbridge.junit;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.BridgeListener;
import org.xlbridge.driver.FdRegistration;
import org.xlbridge.driver.TimeoutRegistration;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.TimeoutToken;
import org.xlbridge.time.TimeSource;

/**
 * The kit's invariant checker. It is the driver's {@link BridgeListener} (the kit binds it in Guice) and sees
 * what any driver test has: the bridge's callbacks, the loop through {@link ObservedEventLoop}, and the ctx's
 * and bridge's counters at the end. It checks on its own:
 * <ul>
 *   <li>I1: every registration gets at most one {@code occurredTimeout}, for a token no newer registration
 *       holds; a registration freed without one while the ctx is open is a violation; the ctx's count of
 *       {@code occurredTimeout} calls on a nexus already back in its pool must stay 0;</li>
 *   <li>I2: the ctx's count of time event callbacks run before their deadline must stay 0;</li>
 *   <li>I3: uses after free and double frees the bridge reports ({@link #violation(String)}) or the loop
 *       commits, and deliveries of a token libxl had already taken back (legacy deregister);</li>
 *   <li>I5: a registration still armed when the test returns, its deadline passed by more than the liveness
 *       bound;</li>
 *   <li>I6: {@code occurredTimeout} called from inside the first register hooks must throw
 *       {@link IllegalStateException};</li>
 *   <li>I7: {@code timeoutDeregister} under {@code ASAP_MODIFY};</li>
 *   <li>I8: loop ids handed out twice (through {@link ObservedEventLoop}).</li>
 * </ul>
 * I4 is checked by the kit at quiescence. I9 and I10 need the test's help: it declares the events it
 * causes ({@link #expectEvents}) and records what its listeners receive ({@link #recordEvent}); it tracks
 * its asynchronous operations ({@link #operation}). A test may also add listeners of its own
 * ({@link #addListener}): the bridge takes one listener, so this checker forwards every callback to them
 * after its own bookkeeping.
 *
 * <p>Locking: per-registration records are in a {@link ConcurrentHashMap} and their fields are atomics or
 * volatile; {@link #tokenOwner} is updated only by atomic {@code merge}. {@link #samples},
 * {@link #expected}/{@link #received} and {@link #operations} are guarded by their own monitors, held only
 * for the collection operation, never while calling out. Counters are atomics.
 */
public final class DriverInvariantChecker implements BridgeListener {
    // Made by the kit for each driver (XlbridgeDriver.start), which also attaches the ctx.
    private static final Logger log = LoggerFactory.getLogger(DriverInvariantChecker.class);
    private static final int SAMPLES_PER_INVARIANT = 5;

    private final DeregistrationProtocol protocol;
    private final long livenessBoundNanos;
    private final AtomicInteger probesLeft;
    private volatile LibxlContext ctx;
    private volatile TimeSource clock = TimeSource.SYSTEM;
    // Set when the kit starts tearing the driver down: deregistrations from then on are the ctx's close.
    private volatile boolean closing;

    private final ConcurrentHashMap<TimeoutRegistration, RegRecord> regs = new ConcurrentHashMap<>();
    // TimeoutToken keeps identity equality: one entry per nexus, owned by the newest registration seen.
    private final ConcurrentHashMap<TimeoutToken, TimeoutRegistration> tokenOwner = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<BridgeListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLongArray counts = new AtomicLongArray(Invariant.values().length);
    private final List<Violation> samples = new ArrayList<>(); // guarded by itself
    private final List<String> callbackFailures = new ArrayList<>(); // guarded by samples
    private final AtomicLong callbackFailureCount = new AtomicLong();
    private final AtomicLong maxLatenessNanos = new AtomicLong();
    private final AtomicLong probes = new AtomicLong();
    private final Map<List<Object>, List<Object>> expected = new LinkedHashMap<>(); // guarded by itself
    private final Map<List<Object>, List<Object>> received = new LinkedHashMap<>(); // guarded by expected
    private final List<TrackedOperation> operations = new ArrayList<>(); // guarded by itself

    private static final class RegRecord {
        final AtomicInteger deliveries = new AtomicInteger();
        volatile boolean tokenReleased;
        volatile boolean modified;
        // timeoutDeregister before the kit began closing the ctx: no occurredTimeout will ever come.
        volatile boolean cancelledBeforeClose;
    }

    /**
     * @param protocol         the ctx's protocol (I7 applies to ASAP_MODIFY only)
     * @param livenessBoundMs  how long past its deadline a registration may still be armed when the test
     *                         returns (I5), on the ctx's clock
     * @param reentrancyProbes how many register hooks to probe for I6 (0: none)
     */
    DriverInvariantChecker(DeregistrationProtocol protocol, long livenessBoundMs, int reentrancyProbes) {
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        if (livenessBoundMs < 0 || reentrancyProbes < 0) {
            throw new IllegalArgumentException("livenessBoundMs and reentrancyProbes must not be negative");
        }
        this.livenessBoundNanos = livenessBoundMs * 1_000_000L;
        this.probesLeft = new AtomicInteger(reentrancyProbes);
    }

    /** Gives the checker the ctx (for the I6 probe and "unless the ctx closed first") and its clock. */
    void attach(LibxlContext context) {
        this.ctx = context;
        this.clock = context.timeSource();
    }

    /** The kit is about to close the ctx: timeouts it deregisters from now on are not owed an occurredTimeout. */
    void closing() {
        closing = true;
    }

    /** Adds a listener that receives every bridge callback after the checker. Add it before registering. */
    public void addListener(BridgeListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    // ------------------------------------------------------------------------------- bridge callbacks

    @Override
    public void timeoutRegistered(TimeoutRegistration reg) {
        regs.computeIfAbsent(reg, r -> new RegRecord());
        claimToken(reg);
        if (probesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            probeReentrancy(reg);
        }
        listeners.forEach(l -> l.timeoutRegistered(reg));
    }

    /** Makes {@code reg} the owner of its token unless a newer registration already holds it. */
    private TimeoutRegistration claimToken(TimeoutRegistration reg) {
        return tokenOwner.merge(reg.token(), reg, (old, nu) -> nu.serial() > old.serial() ? nu : old);
    }

    private void probeReentrancy(TimeoutRegistration reg) {
        LibxlContext c = ctx;
        if (c == null) {
            return;
        }
        probes.incrementAndGet();
        try {
            c.occurredTimeout(reg.token());
            report(Invariant.I6, "occurredTimeout called from inside the register hook of " + reg + " did not throw");
        } catch (IllegalStateException expectedRule) {
            // the rule held: occurred* from a hook throws
        } catch (RuntimeException other) {
            report(Invariant.I6, "occurredTimeout from inside a hook threw " + other + " instead of IllegalStateException");
        }
    }

    @Override
    public void timeoutModified(TimeoutRegistration reg, boolean raced) {
        RegRecord r = regs.get(reg);
        if (r != null) {
            r.modified = true;
        }
        listeners.forEach(l -> l.timeoutModified(reg, raced));
    }

    @Override
    public void timeoutDeregistered(TimeoutRegistration reg) {
        if (protocol == DeregistrationProtocol.ASAP_MODIFY) {
            report(Invariant.I7, "timeoutDeregister called for " + reg + " under ASAP_MODIFY");
        }
        RegRecord r = regs.get(reg);
        if (r != null) {
            // libxl takes the token back at once (and may hand it to a new event): any later delivery for
            // this registration uses a token that, in C, is freed or someone else's.
            r.tokenReleased = true;
            LibxlContext c = ctx;
            r.cancelledBeforeClose = !closing && (c == null || !c.isClosed());
        }
        listeners.forEach(l -> l.timeoutDeregistered(reg));
    }

    @Override
    public void beforeOccurredTimeout(TimeoutRegistration reg) {
        if (reg.state() == TimeoutRegistration.FREED) {
            report(Invariant.I3, "occurredTimeout about to be delivered for freed " + reg);
        } else {
            // A dispatch can come before the register hook's listener call: create the record here then.
            RegRecord r = regs.computeIfAbsent(reg, x -> new RegRecord());
            int n = r.deliveries.incrementAndGet();
            if (n > 1) {
                report(Invariant.I1, "occurredTimeout delivered " + n + " times for " + reg);
            }
            if (r.tokenReleased) {
                report(Invariant.I3, "occurredTimeout for " + reg + " with a token libxl had already taken back");
            }
            TimeoutRegistration owner = claimToken(reg);
            if (owner != reg) {
                report(Invariant.I1, "occurredTimeout for " + reg + " delivers " + reg.token()
                        + ", which libxl has since given to " + owner);
            }
            if (!r.modified) {
                long late = clock.nanoTime() - reg.deadlineNanos();
                maxLatenessNanos.accumulateAndGet(late, Math::max);
            }
        }
        listeners.forEach(l -> l.beforeOccurredTimeout(reg));
    }

    @Override
    public void afterOccurredTimeout(TimeoutRegistration reg) {
        RegRecord r = regs.get(reg);
        if (r != null && r.tokenReleased) {
            report(Invariant.I3, "occurredTimeout for " + reg + " was delivered after libxl took its token back"
                    + " (timeoutDeregister while it was firing)");
        }
        listeners.forEach(l -> l.afterOccurredTimeout(reg));
    }

    @Override
    public void duplicateDispatchSuppressed(TimeoutRegistration reg) {
        listeners.forEach(l -> l.duplicateDispatchSuppressed(reg));
    }

    @Override
    public void timeoutFreed(TimeoutRegistration reg, int previousState) {
        RegRecord r = regs.remove(reg);
        if (r == null) {
            report(Invariant.I3, "free of " + reg + ", which the checker never saw registered or saw freed already");
        } else if (r.deliveries.get() == 0) {
            LibxlContext c = ctx;
            if (r.cancelledBeforeClose) {
                report(Invariant.I1, reg + " never got its occurredTimeout: cancelled by timeoutDeregister while the"
                        + " ctx was open");
            } else if (c == null || !c.isClosed()) {
                report(Invariant.I1, reg + " freed without any occurredTimeout while the ctx was open");
            }
        }
        listeners.forEach(l -> l.timeoutFreed(reg, previousState));
    }

    @Override
    public void fdFreed(FdRegistration reg) {
        listeners.forEach(l -> l.fdFreed(reg));
    }

    /** The bridge caught a use after free, a double free or a foreign registration object: I3. */
    @Override
    public void violation(String what) {
        report(Invariant.I3, "bridge: " + what);
        listeners.forEach(l -> l.violation(what));
    }

    // ------------------------------------------------------------------------------- I9: events

    /**
     * Declares that the test's actions cause {@code events}, in this order, for {@code domain}, to be
     * delivered to {@code listener}. May be called several times for one pair (the events are appended),
     * before or after the events arrive. At the end of the test every (listener, domain) pair must have
     * received exactly its expected events, each once, in order (I9).
     */
    public void expectEvents(Object listener, Object domain, Object... events) {
        List<Object> key = List.of(Objects.requireNonNull(listener, "listener"), Objects.requireNonNull(domain, "domain"));
        synchronized (expected) {
            List<Object> list = expected.computeIfAbsent(key, k -> new ArrayList<>());
            for (Object e : events) {
                list.add(Objects.requireNonNull(e, "event"));
            }
        }
    }

    /**
     * Records that {@code listener} received {@code event} for {@code domain}; call it from the listener.
     * A delivery on a thread that is not running a loop dispatch is an I9 violation at once.
     */
    public void recordEvent(Object listener, Object domain, Object event) {
        List<Object> key = List.of(Objects.requireNonNull(listener, "listener"), Objects.requireNonNull(domain, "domain"));
        if (!ObservedEventLoop.inDispatch()) {
            report(Invariant.I9, "event " + event + " for " + domain + " reached " + listener
                    + " outside a loop dispatch");
        }
        synchronized (expected) {
            received.computeIfAbsent(key, k -> new ArrayList<>()).add(Objects.requireNonNull(event, "event"));
        }
    }

    /** True when every (listener, domain) pair has received at least as many events as expected. */
    boolean eventsArrived() {
        synchronized (expected) {
            for (Map.Entry<List<Object>, List<Object>> e : expected.entrySet()) {
                if (received.getOrDefault(e.getKey(), List.of()).size() < e.getValue().size()) {
                    return false;
                }
            }
            return true;
        }
    }

    void checkEvents() {
        Map<List<Object>, List<Object>> exp;
        Map<List<Object>, List<Object>> got;
        synchronized (expected) {
            exp = new LinkedHashMap<>();
            expected.forEach((k, v) -> exp.put(k, List.copyOf(v)));
            got = new LinkedHashMap<>();
            received.forEach((k, v) -> got.put(k, List.copyOf(v)));
        }
        for (Map.Entry<List<Object>, List<Object>> e : exp.entrySet()) {
            List<Object> g = got.getOrDefault(e.getKey(), List.of());
            if (!g.equals(e.getValue())) {
                report(Invariant.I9, "listener " + e.getKey().get(0) + ", domain " + e.getKey().get(1) + ": expected "
                        + e.getValue() + ", received " + g);
            }
        }
        for (Map.Entry<List<Object>, List<Object>> e : got.entrySet()) {
            if (!exp.containsKey(e.getKey())) {
                report(Invariant.I9, "listener " + e.getKey().get(0) + ", domain " + e.getKey().get(1)
                        + ": received " + e.getValue() + ", none expected");
            }
        }
    }

    // ------------------------------------------------------------------------------- I10: operations

    /** Starts tracking an asynchronous operation (I10): it must complete exactly once, and nothing of it run after. */
    public TrackedOperation operation(String name) {
        TrackedOperation op = new TrackedOperation(Objects.requireNonNull(name, "name"));
        synchronized (operations) {
            operations.add(op);
        }
        return op;
    }

    /** An asynchronous operation the test tracks for I10. Thread-safe. */
    public final class TrackedOperation {
        private final String name;
        private final AtomicReference<String> outcome = new AtomicReference<>();

        private TrackedOperation(String name) {
            this.name = name;
        }

        /**
         * The operation completed with {@code outcome} (e.g. "done", "failed", "timed out", "aborted"). A
         * second completion is an I10 violation.
         */
        public void completed(String outcome) {
            Objects.requireNonNull(outcome, "outcome");
            if (!this.outcome.compareAndSet(null, outcome)) {
                report(Invariant.I10, "operation " + name + " completed twice: " + this.outcome.get() + ", then "
                        + outcome);
            }
        }

        /** Some part of the operation ran ({@code what}); after its completion that is an I10 violation. */
        public void ran(String what) {
            String o = outcome.get();
            if (o != null) {
                report(Invariant.I10, "operation " + name + " ran '" + what + "' after it completed (" + o + ")");
            }
        }

        /** Whether it has completed. */
        public boolean isCompleted() {
            return outcome.get() != null;
        }

        /** Its outcome, or null while it runs. */
        public String outcome() {
            return outcome.get();
        }

        @Override
        public String toString() {
            return "operation " + name + (isCompleted() ? " (" + outcome.get() + ")" : " (running)");
        }
    }

    boolean operationsCompleted() {
        synchronized (operations) {
            return operations.stream().allMatch(TrackedOperation::isCompleted);
        }
    }

    void checkOperations() {
        List<TrackedOperation> ops;
        synchronized (operations) {
            ops = List.copyOf(operations);
        }
        for (TrackedOperation op : ops) {
            if (!op.isCompleted()) {
                report(Invariant.I10, "operation " + op.name + " never completed");
            }
        }
    }

    // ------------------------------------------------------------------------------- end-of-test checks

    /** I5: registrations still armed when the test returned, long past their deadline. */
    void checkLiveness() {
        long now = clock.nanoTime();
        for (TimeoutRegistration reg : regs.keySet()) {
            if (reg.state() == TimeoutRegistration.ARMED && now - reg.deadlineNanos() > livenessBoundNanos) {
                report(Invariant.I5, reg + " still armed " + (now - reg.deadlineNanos()) / 1_000_000
                        + " ms after its deadline");
            }
        }
    }

    /** I1 and I2 as the ctx counts them. */
    void checkContextCounters(LibxlStats s) {
        if (s.timeoutsOnIdleNexus() != 0) {
            report(Invariant.I1, s.timeoutsOnIdleNexus() + " occurredTimeout call(s) found their nexus already back"
                    + " in the pool (a second call for one registration, or a late one)");
        }
        if (s.timeoutsFiredEarly() != 0) {
            report(Invariant.I2, s.timeoutsFiredEarly() + " time event callback(s) ran before their deadline");
        }
    }

    // ------------------------------------------------------------------------------- results

    /**
     * Records a violation. The kit calls it; a test may too, for something it checks itself. Thread-safe,
     * never throws.
     */
    public void report(Invariant invariant, String message) {
        long n = counts.incrementAndGet(invariant.ordinal());
        Violation v = new Violation(invariant, message, Thread.currentThread().getName());
        if (n <= 3) {
            log.warn("{}", v);
        }
        if (n <= SAMPLES_PER_INVARIANT) {
            synchronized (samples) {
                samples.add(v);
            }
        }
    }

    void callbackFailed(String where, Throwable t) {
        callbackFailureCount.incrementAndGet();
        synchronized (samples) {
            if (callbackFailures.size() < SAMPLES_PER_INVARIANT) {
                callbackFailures.add(where + " threw " + t);
            }
        }
    }

    /** Violations per invariant so far (every invariant present, most 0). */
    public Map<Invariant, Long> counts() {
        Map<Invariant, Long> m = new EnumMap<>(Invariant.class);
        for (Invariant inv : Invariant.values()) {
            m.put(inv, counts.get(inv.ordinal()));
        }
        return m;
    }

    /** The first few violations of each invariant. */
    public List<Violation> violations() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** Total violations so far. */
    public long violationCount() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** Loop callbacks and frees that threw, and the first few of them described. */
    public long callbackFailureCount() {
        return callbackFailureCount.get();
    }

    List<String> callbackFailures() {
        synchronized (samples) {
            return List.copyOf(callbackFailures);
        }
    }

    /** The largest lateness seen (delivery of an unmodified timeout after its deadline, ctx clock), in ns. */
    public long maxLatenessNanos() {
        return maxLatenessNanos.get();
    }

    /** How many reentrancy probes (I6) ran. */
    public long reentrancyProbes() {
        return probes.get();
    }

    /** Registrations the checker saw registered and not yet freed. */
    public int liveRegistrations() {
        return regs.size();
    }
}
