package org.xlbridge.libxl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;

/**
 * Test support: {@link OsEventHooks} that record every call and model a simple application over a
 * {@link VirtualClock}, driven step by step by the test. It keeps the application's registrations (the "for_app"
 * objects it returns), fires timeouts when the test says so, and can split one delivery into "the loop picked the
 * timeout" and "the loop got round to calling occurredTimeout" to reproduce the race deterministically.
 *
 * <p>It checks the library's side of the contract as it goes and records each breach as a violation (see
 * {@link #violations()}): a hook called without the ctx lock; {@code timeoutModify} with a deadline other than
 * {@link OsEventHooks#ASAP}; {@code timeoutDeregister} under {@link DeregistrationProtocol#ASAP_MODIFY} (invariant
 * I7, which also throws {@link AssertionError} at once); {@code timeoutModify} under the legacy protocol; a
 * modify or deregister for a registration libxl had already given up.
 *
 * <p>Locking rules: the hook methods run with the ctx lock held (the library guarantees it) and then take this
 * object's monitor; the driving methods ({@link #deliverDueTimeouts()}, {@link #completeDelivery}, ...) take the
 * monitor only to read or change the model and never hold it while calling into the ctx. So the only lock order
 * is ctx lock → monitor (libxl_event.h's option (a)). All mutable state is guarded by the monitor.
 */
public final class RecordingHooks implements OsEventHooks {

    /** The six hooks. */
    public enum Kind { FD_REGISTER, FD_MODIFY, FD_DEREGISTER, TIMEOUT_REGISTER, TIMEOUT_MODIFY, TIMEOUT_DEREGISTER }

    /**
     * One hook call as the library made it.
     *
     * @param kind          which hook
     * @param fd            the fd (fd hooks), else -1
     * @param events        the events (fd register/modify), else 0
     * @param deadlineNanos the deadline (timeout register/modify), else 0
     * @param token         the token passed (register hooks) or the one the registration holds, else null
     * @param forApp        the application's registration object the call concerns (null for register)
     * @param atMillis      the virtual clock, in ms since {@link VirtualClock#START}
     */
    public record HookCall(Kind kind, int fd, int events, long deadlineNanos, Object token, Object forApp,
                           long atMillis) {
    }

    /** Where an application timeout registration stands. */
    public enum TimeoutState {
        /** Waiting for its deadline (or for ASAP). */
        ARMED,
        /** The loop picked it and is about to call occurredTimeout. */
        FIRING,
        /** occurredTimeout was called for it. */
        DELIVERED,
        /** timeoutDeregister removed it before it fired (legacy protocol only). */
        DEREGISTERED
    }

    /** The application's registration object for a timeout ("for_app"). Fields guarded by the hooks' monitor. */
    public final class AppTimeout {
        private final int id;
        private final TimeoutToken token;
        private final long requestedDeadline;
        private long dueAt;
        private TimeoutState state = TimeoutState.ARMED;
        private int asapRequests;
        private int asapIgnored;

        private AppTimeout(int id, TimeoutToken token, long deadline) {
            this.id = id;
            this.token = token;
            this.requestedDeadline = deadline;
            this.dueAt = deadline;
        }

        public int id() {
            return id;
        }

        public TimeoutToken token() {
            return token;
        }

        public long requestedDeadline() {
            return requestedDeadline;
        }

        public TimeoutState state() {
            synchronized (RecordingHooks.this) {
                return state;
            }
        }

        /** How many timeoutModify(ASAP) calls it got. */
        public int asapRequests() {
            synchronized (RecordingHooks.this) {
                return asapRequests;
            }
        }

        /** How many of those arrived while it was already firing or delivered, and were ignored. */
        public int asapIgnored() {
            synchronized (RecordingHooks.this) {
                return asapIgnored;
            }
        }

        @Override
        public String toString() {
            synchronized (RecordingHooks.this) {
                return "AppTimeout#" + id + "[" + state + ", " + token + "]";
            }
        }
    }

    /** The application's registration object for an fd ("for_app"). Fields guarded by the hooks' monitor. */
    public final class AppFd {
        private final int id;
        private final int fd;
        private final FdToken token;
        private int events;
        private boolean registered = true;

        private AppFd(int id, int fd, int events, FdToken token) {
            this.id = id;
            this.fd = fd;
            this.events = events;
            this.token = token;
        }

        public int fd() {
            return fd;
        }

        public FdToken token() {
            return token;
        }

        public int events() {
            synchronized (RecordingHooks.this) {
                return events;
            }
        }

        public boolean registered() {
            synchronized (RecordingHooks.this) {
                return registered;
            }
        }

        @Override
        public String toString() {
            return "AppFd#" + id + "[fd=" + fd + ", " + token + "]";
        }
    }

    /** Something to do instead of, or inside, the next call of one hook. */
    @FunctionalInterface
    public interface HookAction {
        /** Runs inside the hook (ctx lock held). May throw {@link OsEventHookException} to refuse. */
        void run() throws OsEventHookException;
    }

    private final VirtualClock clock;
    private final DeregistrationProtocol protocol;
    private final List<HookCall> calls = new ArrayList<>();
    private final List<AppTimeout> timeouts = new ArrayList<>();
    private final List<AppFd> fds = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final Map<Kind, Queue<HookAction>> actions = new EnumMap<>(Kind.class);
    private int nextId;

    /**
     * @param clock    the clock the ctx under test uses
     * @param protocol the protocol the ctx under test uses; decides which timeout hooks are violations
     */
    public RecordingHooks(VirtualClock clock, DeregistrationProtocol protocol) {
        this.clock = clock;
        this.protocol = protocol;
        for (Kind k : Kind.values()) {
            actions.put(k, new ArrayDeque<>());
        }
    }

    /** A ctx using these hooks, this clock and this protocol. */
    public LibxlContext newContext() {
        return LibxlContext.builder().hooks(this).timeSource(clock).protocol(protocol)
                .loggerName("test.libxl." + protocol).build();
    }

    public VirtualClock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ test control

    /** The next call of {@code kind} runs {@code action} first (inside the hook, ctx lock held). */
    public synchronized void onNext(Kind kind, HookAction action) {
        actions.get(kind).add(action);
    }

    /** The next call of {@code kind} (a register or modify hook) refuses with {@code error}. */
    public void failNext(Kind kind, LibxlError error) {
        onNext(kind, () -> {
            throw new OsEventHookException(error, "injected failure of " + kind);
        });
    }

    // ------------------------------------------------------------------ the hooks

    @Override
    public Object fdRegister(int fd, int events, FdToken token) throws OsEventHookException {
        HookAction action = enter(Kind.FD_REGISTER, fd, events, 0, token, null, token);
        if (action != null) {
            action.run();
        }
        synchronized (this) {
            AppFd reg = new AppFd(++nextId, fd, events, token);
            fds.add(reg);
            return reg;
        }
    }

    @Override
    public Object fdModify(int fd, Object forApp, int events) throws OsEventHookException {
        AppFd reg = (AppFd) forApp;
        HookAction action = enter(Kind.FD_MODIFY, fd, events, 0, reg.token, forApp, reg.token);
        if (action != null) {
            action.run();
        }
        synchronized (this) {
            if (!reg.registered) {
                violations.add("fdModify on a deregistered " + reg);
            }
            if (reg.fd != fd) {
                violations.add("fdModify for fd " + fd + " on " + reg);
            }
            reg.events = events;
            return reg;
        }
    }

    @Override
    public void fdDeregister(int fd, Object forApp) {
        AppFd reg = (AppFd) forApp;
        HookAction action = enter(Kind.FD_DEREGISTER, fd, 0, 0, reg.token, forApp, reg.token);
        runUnchecked(action);
        synchronized (this) {
            if (!reg.registered) {
                violations.add("fdDeregister twice for " + reg);
            }
            if (reg.fd != fd) {
                violations.add("fdDeregister for fd " + fd + " on " + reg);
            }
            reg.registered = false;
        }
    }

    @Override
    public Object timeoutRegister(long deadlineNanos, TimeoutToken token) throws OsEventHookException {
        HookAction action = enter(Kind.TIMEOUT_REGISTER, -1, 0, deadlineNanos, token, null, token);
        if (action != null) {
            action.run();
        }
        synchronized (this) {
            AppTimeout reg = new AppTimeout(++nextId, token, deadlineNanos);
            timeouts.add(reg);
            return reg;
        }
    }

    @Override
    public Object timeoutModify(Object forApp, long deadlineNanos) throws OsEventHookException {
        AppTimeout reg = (AppTimeout) forApp;
        HookAction action = enter(Kind.TIMEOUT_MODIFY, -1, 0, deadlineNanos, reg.token, forApp, reg.token);
        synchronized (this) {
            if (deadlineNanos != ASAP) {
                violations.add("timeoutModify with deadline " + deadlineNanos + " instead of ASAP for " + reg);
            }
            if (protocol == DeregistrationProtocol.LEGACY_DEREGISTER) {
                violations.add("timeoutModify under LEGACY_DEREGISTER for " + reg);
            }
        }
        if (action != null) {
            action.run();
        }
        synchronized (this) {
            reg.asapRequests++;
            switch (reg.state) {
                case ARMED -> reg.dueAt = ASAP;
                // The race the application must cope with: its own dispatch is already under way and will
                // deliver the one occurredTimeout libxl waits for.
                case FIRING -> reg.asapIgnored++;
                case DELIVERED, DEREGISTERED -> {
                    reg.asapIgnored++;
                    violations.add("timeoutModify for " + reg + " after libxl was done with it");
                }
                default -> throw new IllegalStateException();
            }
            return reg;
        }
    }

    @Override
    public void timeoutDeregister(Object forApp) {
        AppTimeout reg = (AppTimeout) forApp;
        HookAction action = enter(Kind.TIMEOUT_DEREGISTER, -1, 0, 0, reg.token, forApp, reg.token);
        if (protocol == DeregistrationProtocol.ASAP_MODIFY) {
            String v = "I7: timeoutDeregister called under ASAP_MODIFY for " + reg;
            synchronized (this) {
                violations.add(v);
            }
            throw new AssertionError(v);
        }
        runUnchecked(action);
        synchronized (this) {
            switch (reg.state) {
                case ARMED -> reg.state = TimeoutState.DEREGISTERED;
                // FIRING: too late to stop; the occurredTimeout already on its way carries a token libxl has
                // just recycled. That is the legacy race.
                case FIRING -> { }
                case DELIVERED, DEREGISTERED -> violations.add("timeoutDeregister for " + reg
                        + " after libxl was done with it");
                default -> throw new IllegalStateException();
            }
        }
    }

    /** Records the call, checks the lock, and returns the action queued for this hook, if any. */
    private HookAction enter(Kind kind, int fd, int events, long deadline, Object token, Object forApp,
                             Nexus<?> nexus) {
        boolean locked = nexus.ctx.isLockHeldByCurrentThread();
        synchronized (this) {
            calls.add(new HookCall(kind, fd, events, deadline, token, forApp, clock.millisSinceStart()));
            if (!locked) {
                violations.add(kind + " called without the ctx lock held");
            }
            return actions.get(kind).poll();
        }
    }

    private static void runUnchecked(HookAction action) {
        if (action == null) {
            return;
        }
        try {
            action.run();
        } catch (OsEventHookException e) {
            throw new IllegalStateException("a deregister hook cannot refuse", e);
        }
    }

    // ------------------------------------------------------------------ the application's loop, step by step

    /** The registrations due now (ARMED with a deadline at or before the clock, or asked for ASAP), earliest first. */
    public synchronized List<AppTimeout> dueTimeouts() {
        long now = clock.nanoTime();
        List<AppTimeout> due = new ArrayList<>();
        for (AppTimeout t : timeouts) {
            if (t.state == TimeoutState.ARMED && t.dueAt <= now) {
                due.add(t);
            }
        }
        due.sort(Comparator.<AppTimeout>comparingLong(t -> t.dueAt).thenComparingInt(t -> t.id));
        return due;
    }

    /**
     * The loop picks {@code t}: it is now FIRING and a timeoutModify for it will be ignored. The occurredTimeout
     * is made later by {@link #completeDelivery}.
     */
    public synchronized void beginFiring(AppTimeout t) {
        if (t.state != TimeoutState.ARMED) {
            throw new IllegalStateException("cannot fire " + t);
        }
        t.state = TimeoutState.FIRING;
    }

    /**
     * As {@link #beginFiring}, for a loop running concurrently with the toolstack: returns false, and does
     * nothing, if {@code t} is no longer ARMED (a legacy timeoutDeregister removed it since it was found due).
     */
    public synchronized boolean tryBeginFiring(AppTimeout t) {
        if (t.state != TimeoutState.ARMED) {
            return false;
        }
        t.state = TimeoutState.FIRING;
        return true;
    }

    /** The loop gets round to calling occurredTimeout for a FIRING registration (no monitor held meanwhile). */
    public void completeDelivery(LibxlContext ctx, AppTimeout t) {
        synchronized (this) {
            if (t.state != TimeoutState.FIRING) {
                throw new IllegalStateException("not firing: " + t);
            }
        }
        try {
            ctx.occurredTimeout(t.token);
        } finally {
            synchronized (this) {
                t.state = TimeoutState.DELIVERED;
            }
        }
    }

    /**
     * Delivers every due registration, earliest first, including ones that become due through callbacks
     * (registrations for "now", ASAP requests). Returns how many occurredTimeout calls were made.
     */
    public int deliverDueTimeouts(LibxlContext ctx) {
        int delivered = 0;
        for (int guard = 0; guard < 100_000; guard++) {
            AppTimeout next;
            synchronized (this) {
                List<AppTimeout> due = dueTimeouts();
                if (due.isEmpty()) {
                    return delivered;
                }
                next = due.get(0);
                beginFiring(next);
            }
            completeDelivery(ctx, next);
            delivered++;
        }
        throw new AssertionError("timeouts keep becoming due: livelock?");
    }

    /** Moves the clock to the earliest ARMED deadline if that is later than now; false if nothing is armed. */
    public boolean advanceToNextDeadline() {
        Optional<Long> next;
        synchronized (this) {
            next = timeouts.stream().filter(t -> t.state == TimeoutState.ARMED).map(t -> t.dueAt)
                    .min(Long::compare);
        }
        next.ifPresent(clock::advanceTo);
        return next.isPresent();
    }

    /** Alternates delivering due timeouts and advancing the clock until nothing is armed; returns deliveries. */
    public int runUntilQuiet(LibxlContext ctx, int maxRounds) {
        int delivered = 0;
        for (int round = 0; round < maxRounds; round++) {
            delivered += deliverDueTimeouts(ctx);
            if (!advanceToNextDeadline()) {
                return delivered;
            }
        }
        throw new AssertionError("not quiet after " + maxRounds + " rounds");
    }

    /** The application reports its fd registration {@code reg} with {@code revents}. */
    public void deliverFd(LibxlContext ctx, AppFd reg, int revents) {
        ctx.occurredFd(reg.token, reg.fd, reg.events(), revents);
    }

    // ------------------------------------------------------------------ what happened

    public synchronized List<HookCall> calls() {
        return List.copyOf(calls);
    }

    public synchronized long count(Kind kind) {
        return calls.stream().filter(c -> c.kind == kind).count();
    }

    public synchronized List<AppTimeout> timeouts() {
        return List.copyOf(timeouts);
    }

    /** The most recent timeout registration. */
    public synchronized AppTimeout lastTimeout() {
        if (timeouts.isEmpty()) {
            throw new IllegalStateException("no timeout registered");
        }
        return timeouts.get(timeouts.size() - 1);
    }

    public synchronized List<AppFd> fds() {
        return List.copyOf(fds);
    }

    /** The most recent fd registration. */
    public synchronized AppFd lastFd() {
        if (fds.isEmpty()) {
            throw new IllegalStateException("no fd registered");
        }
        return fds.get(fds.size() - 1);
    }

    /** Timeout registrations not yet delivered or deregistered (each still owes the ctx one occurredTimeout). */
    public synchronized long outstandingTimeouts() {
        return timeouts.stream()
                .filter(t -> t.state == TimeoutState.ARMED || t.state == TimeoutState.FIRING).count();
    }

    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    /** Throws {@link AssertionError} listing the violations, if any. */
    public void assertNoViolations() {
        List<String> v = violations();
        if (!v.isEmpty()) {
            throw new AssertionError("hook contract violations: " + v);
        }
    }
}
