package org.xlbridge.libxl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;
import org.xlbridge.time.TimeSource;

/**
 * A Java model of libxl's event core: the {@code libxl_ctx} as far as osevents go ({@code libxl_event.c}).
 *
 * <p>The toolstack side creates {@link TimeEvent}s and {@link FdEvent}s and registers them. The ctx tells the
 * application what to watch through its {@link OsEventHooks} ({@code libxl_osevent_register_hooks}), and the
 * application reports back through {@link #occurredTimeout} and {@link #occurredFd}
 * ({@code libxl_osevent_occurred_*}); or the application polls for the ctx with {@link #beforePoll()} and
 * {@link #afterPoll} ({@code libxl_osevent_beforepoll} / {@code _afterpoll}), which {@link PollIntegration}
 * implements. The tokens handed to the application ("for_libxl") are nexi from a pool per kind, and how a timeout
 * is deregistered is the {@link DeregistrationProtocol}. {@code docs/libxl-core.md} explains the model, the nexus
 * and both protocols with a timeline; it is the one description of the design.
 *
 * <p>Deadlines are nanoseconds on the ctx's {@link TimeSource} and are compared as plain signed values (the
 * clock must not wrap; {@link System#nanoTime()} does not in practice).
 *
 * <p>Failures of the application's code. A hook that throws, or refuses with an {@link OsEventHookException},
 * is counted ({@code hookFailures}); a register or modify hook's failure is thrown to the toolstack as a
 * {@link LibxlException} with the registration unchanged, a deregister or ASAP-modify hook's failure is only
 * logged (libxl ignores their results). An event callback that throws is logged and counted
 * ({@code callbackFailures}). Any {@link Throwable} counts as such a failure, checked exceptions and
 * {@link Error}s included. The one exception is a {@link VirtualMachineError} other than
 * {@link StackOverflowError} (out of memory, an internal JVM error): it is counted and logged too, then
 * propagates to the caller with the ctx's state consistent. That is the event loops' callback-error rule (the
 * {@code EventLoop} contract), so a failure means the same on both sides of the hooks.
 *
 * <p>Locking rules. One {@link ReentrantLock}, the ctx lock (libxl's {@code CTX_LOCK}), guards every mutable field
 * of the ctx, of its nexi, of its events and of its {@link PollIntegration}; every method that reads or changes
 * that state takes it. The application's hooks are always called with it held; event callbacks run with it held,
 * as in libxl, and may register and deregister events.
 * {@link #occurredTimeout} and {@link #occurredFd} take it too: called from another thread while a hook runs, they
 * wait; called from inside a hook (the same thread, which already holds the reentrant lock) they throw
 * {@link IllegalStateException} instead of corrupting state, which is libxl's {@code osevent_in_hook} assertion.
 * So an application must not make a hook wait for a thread that is calling into the ctx (libxl_event.h's lock
 * hierarchy, option (a)). Only the {@code closed} flag is also read without the lock (it is volatile).
 */
public final class LibxlContext implements AutoCloseable {
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** The poll(2) bits an fd event may ask for; POLLERR and POLLHUP are implicit. */
    private static final int REQUESTABLE_EVENTS = Posix.POLLIN | Posix.POLLPRI | Posix.POLLOUT;
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final String IN_HOOK_RULE = "occurred* must not be called from inside an osevent hook";

    private final String name;
    private final Logger log;
    /** The application's hooks, or null for a poll-style-only ctx. Immutable. */
    private final OsEventHooks hooks;
    private final TimeSource timeSource;
    private final DeregistrationProtocol protocol;

    /** The ctx lock. */
    private final ReentrantLock lock = new ReentrantLock();

    /** Hook calls in progress (libxl's {@code osevent_in_hook}). Guarded by the ctx lock. */
    private int hooksInProgress;
    /** Written under the ctx lock; volatile so {@link #isClosed()} can read it without waiting. */
    private volatile boolean closed;

    /** Guarded by the ctx lock. */
    private final NexusPool<TimeoutToken> timeoutNexi = new NexusPool<>(id -> new TimeoutToken(this, id));
    /** Guarded by the ctx lock. */
    private final NexusPool<FdToken> fdNexi = new NexusPool<>(id -> new FdToken(this, id));
    /**
     * Registered finite time events, earliest deadline first, then registration order (libxl's etimes). Guarded by the
     * ctx lock.
     */
    private final TreeSet<TimeEvent> timers = new TreeSet<>(
            Comparator.<TimeEvent>comparingLong(e -> e.deadline).thenComparingLong(e -> e.seq));
    /**
     * Registered infinite time events: nothing to watch, but close() must still account for them. Guarded by the ctx
     * lock.
     */
    private final Set<TimeEvent> infiniteTimers = new LinkedHashSet<>();
    /** Registered fd events (libxl's efds). Guarded by the ctx lock. */
    private final Set<FdEvent> fdEvents = new LinkedHashSet<>();
    /** Last registration sequence number handed out. Guarded by the ctx lock. */
    private long registrationSeq;

    /** The poll-style integration (beforePoll / afterPoll and its wakeup fd). Its state is guarded by the ctx lock. */
    private final PollIntegration polling = new PollIntegration(this);

    // Counters, all guarded by the ctx lock.
    private long timeoutsFired;
    private long fdEventsDelivered;
    private long staleTimeoutsDiscarded;
    private long staleFdsDiscarded;
    private long fdReportsNotReady;
    private long timeoutsOnIdleNexus;
    private long timeoutsFiredEarly;
    private long hookFailures;
    private long callbackFailures;
    private long occurredAfterClose;

    private LibxlContext(Builder b) {
        this.name = "ctx" + INSTANCES.incrementAndGet();
        this.log = LoggerFactory.getLogger(b.loggerName);
        this.hooks = b.hooks;
        this.timeSource = b.timeSource;
        this.protocol = b.protocol;
    }

    /** A builder with the defaults: no hooks, {@link TimeSource#SYSTEM}, {@link DeregistrationProtocol#ASAP_MODIFY}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link LibxlContext}. Not thread-safe. */
    public static final class Builder {
        private OsEventHooks hooks;
        private TimeSource timeSource = TimeSource.SYSTEM;
        private DeregistrationProtocol protocol = DeregistrationProtocol.ASAP_MODIFY;
        private String loggerName = LibxlContext.class.getName();

        private Builder() {
        }

        /**
         * The application's hooks ({@code libxl_osevent_register_hooks}; once, before any event exists). Without
         * hooks the ctx is poll-style only: a finite timeout is just recorded for {@link #beforePoll()} and
         * {@link #afterPoll}.
         */
        public Builder hooks(OsEventHooks hooks) {
            this.hooks = Objects.requireNonNull(hooks, "hooks");
            return this;
        }

        /** The clock deadlines are measured on (default {@link TimeSource#SYSTEM}). */
        public Builder timeSource(TimeSource timeSource) {
            this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
            return this;
        }

        /** How timeouts are deregistered (default {@link DeregistrationProtocol#ASAP_MODIFY}). */
        public Builder protocol(DeregistrationProtocol protocol) {
            this.protocol = Objects.requireNonNull(protocol, "protocol");
            return this;
        }

        /** The SLF4J logger name (default this class's name). */
        public Builder loggerName(String loggerName) {
            this.loggerName = Objects.requireNonNull(loggerName, "loggerName");
            return this;
        }

        public LibxlContext build() {
            return new LibxlContext(this);
        }
    }

    // ------------------------------------------------------------------ accessors

    /** A short name for logs and token descriptions ("ctx7"). */
    String name() {
        return name;
    }

    /** The clock deadlines are on. */
    public TimeSource timeSource() {
        return timeSource;
    }

    /** The timeout deregistration protocol in force. */
    public DeregistrationProtocol protocol() {
        return protocol;
    }

    /** Whether the ctx was built with hooks. */
    public boolean hasHooks() {
        return hooks != null;
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    /** Whether the calling thread holds the ctx lock. */
    public boolean isLockHeldByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    /** A new, unregistered time event of this ctx. */
    public TimeEvent newTimeEvent() {
        ensureOpen();
        return new TimeEvent(this);
    }

    /** A new, unregistered fd event of this ctx. */
    public FdEvent newFdEvent() {
        ensureOpen();
        return new FdEvent(this);
    }

    /**
     * Runs {@code action} with the ctx lock held and returns its result: toolstack code that must be atomic with
     * respect to event delivery, as libxl code between {@code CTX_LOCK} and {@code CTX_UNLOCK}.
     */
    public <T> T withLock(Supplier<T> action) {
        Objects.requireNonNull(action, "action");
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code action} with the ctx lock held. */
    public void withLock(Runnable action) {
        Objects.requireNonNull(action, "action");
        lock.lock();
        try {
            action.run();
        } finally {
            lock.unlock();
        }
    }

    /** A consistent snapshot of the counters and pools. */
    public LibxlStats stats() {
        lock.lock();
        try {
            return new LibxlStats(timers.size() + infiniteTimers.size(), fdEvents.size(),
                    timeoutNexi.inUseCount(), timeoutNexi.idleCount(), fdNexi.inUseCount(), fdNexi.idleCount(),
                    timeoutsFired, fdEventsDelivered, staleTimeoutsDiscarded, staleFdsDiscarded, fdReportsNotReady,
                    timeoutsOnIdleNexus, timeoutsFiredEarly, hookFailures, callbackFailures, occurredAfterClose);
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ the application's entry points

    /**
     * The application reports that the timeout it registered with {@code token} is due
     * ({@code libxl_osevent_occurred_timeout}). It must call this exactly once per successful
     * {@link OsEventHooks#timeoutRegister}, also after {@link OsEventHooks#timeoutModify}, and may call it
     * arbitrarily late. The nexus goes back to its pool; if it pointed at no event (the timeout was deregistered
     * meanwhile) the call is discarded and counted, otherwise the event is deregistered and its callback runs, on
     * this thread, with the ctx lock held.
     *
     * <p>After {@link #close()} the call is ignored, logged at debug level and counted; the nexus still goes back to
     * its pool.
     *
     * @throws IllegalArgumentException if {@code token} is null or belongs to another ctx (nothing changes)
     * @throws IllegalStateException    if called from inside an osevent hook
     */
    public void occurredTimeout(TimeoutToken token) {
        if (token == null) {
            throw new IllegalArgumentException("occurredTimeout: token must not be null");
        }
        if (token.ctx != this) {
            throw new IllegalArgumentException("occurredTimeout: " + token + " does not belong to " + name);
        }
        lock.lock();
        try {
            checkNotInHook("occurredTimeout");
            if (closed) {
                timeoutNexi.release(token);
                occurredAfterClose++;
                log.debug("{}: occurredTimeout({}) after close ignored", name, token);
                return;
            }
            if (!token.inUse) {
                // Already back in the pool: a second delivery for one registration, or (legacy protocol) a late
                // one for a nexus recycled at deregistration. Releasing it again would corrupt the pool.
                staleTimeoutsDiscarded++;
                timeoutsOnIdleNexus++;
                log.debug("{}: occurredTimeout({}) for an idle nexus discarded", name, token);
                return;
            }
            TimeEvent ev = token.event;
            timeoutNexi.release(token);
            if (ev == null) {
                staleTimeoutsDiscarded++;
                log.debug("{}: occurredTimeout({}) for a deregistered timeout discarded", name, token);
                return;
            }
            ev.nexus = null;
            ev.registered = false;
            timers.remove(ev);
            fireTime(ev);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The application reports that the fd it registered with {@code token} may be ready
     * ({@code libxl_osevent_occurred_fd}). Ignored (and counted) if the nexus no longer serves an fd event, or
     * serves one on another fd. Otherwise the fd is re-checked with a zero-timeout poll(2) for the event's current
     * bits, because the report may be stale, and the callback runs only if something is ready. {@code events} and
     * {@code revents} are the application's view and are not trusted.
     *
     * @throws IllegalArgumentException if {@code token} is null or belongs to another ctx (nothing changes)
     * @throws IllegalStateException    if called from inside an osevent hook
     */
    public void occurredFd(FdToken token, int fd, int events, int revents) {
        if (token == null) {
            throw new IllegalArgumentException("occurredFd: token must not be null");
        }
        if (token.ctx != this) {
            throw new IllegalArgumentException("occurredFd: " + token + " does not belong to " + name);
        }
        lock.lock();
        try {
            checkNotInHook("occurredFd");
            if (closed) {
                occurredAfterClose++;
                log.debug("{}: occurredFd({}, fd={}) after close ignored", name, token, fd);
                return;
            }
            FdEvent ev = token.event;
            if (ev == null) {
                staleFdsDiscarded++;
                log.debug("{}: occurredFd({}, fd={}) for a deregistered fd event ignored", name, token, fd);
                return;
            }
            if (ev.fd != fd) {
                staleFdsDiscarded++;
                log.debug("{}: occurredFd({}, fd={}) but the nexus now serves fd {}: ignored", name, token, fd, ev.fd);
                return;
            }
            fdOccurs(ev);
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ poll-style integration

    /**
     * What to poll now ({@code libxl_osevent_beforepoll}): every registered fd event with a non-zero event mask,
     * the ctx's wakeup fd, and the timeout to the earliest deadline. Call with no ctx lock held by the caller's
     * poll, then pass the result and poll(2)'s answer to {@link #afterPoll}. Works with or without hooks.
     *
     * @throws IllegalStateException if the ctx is closed
     * @throws LibxlException        ({@link LibxlError#FAIL}) if the wakeup fd cannot be made
     */
    public PollRequest beforePoll() {
        lock.lock();
        try {
            ensureOpen();
            return polling.beforePoll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Dispatches after poll(2) ({@code libxl_osevent_afterpoll}), reading each entry's revents from
     * {@code polled[offset ..]}, where {@link PollRequest#fill} put the request.
     *
     * @throws IllegalArgumentException if the request belongs to another ctx or {@code polled} does not hold it
     */
    public void afterPoll(PollRequest request, PollFds polled, int offset) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(polled, "polled");
        afterPoll(request, PollIntegration.reventsOf(request, polled, offset));
    }

    /**
     * Dispatches after poll(2) ({@code libxl_osevent_afterpoll}): {@code revents[i]} is what poll(2) reported for
     * the request's entry {@code i}. First the fd events reported ready, each re-checked with poll(2) before its
     * callback runs (skipping any entry whose event was deregistered or re-registered since
     * {@link #beforePoll()}); then every timeout whose deadline has passed on the ctx's clock, earliest first,
     * each deregistered through the active protocol before its callback runs (so with hooks the application is
     * asked to fire it ASAP and its later {@code occurredTimeout} is discarded). Events registered during this
     * call wait for the next round, so a callback that re-arms a timeout for "now" cannot livelock the caller.
     * After {@link #close()} it does nothing.
     *
     * @throws IllegalArgumentException if the request belongs to another ctx or {@code revents} has the wrong length
     * @throws IllegalStateException    if called from inside an osevent hook
     */
    public void afterPoll(PollRequest request, int[] revents) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(revents, "revents");
        if (request.context() != this) {
            throw new IllegalArgumentException("afterPoll: the request was made by another ctx");
        }
        if (revents.length != request.size()) {
            throw new IllegalArgumentException("afterPoll: " + revents.length + " revents for " + request.size()
                    + " entries");
        }
        lock.lock();
        try {
            checkNotInHook("afterPoll");
            if (closed) {
                log.debug("{}: afterPoll after close ignored", name);
                return;
            }
            polling.afterPoll(request, revents);
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Frees the ctx ({@code libxl_ctx_free}): deregisters every registered event through the active protocol
     * (timeouts by {@code timeoutModify(ASAP)} under {@link DeregistrationProtocol#ASAP_MODIFY}, by
     * {@code timeoutDeregister} under the legacy one; fds by {@code fdDeregister}), without running their
     * callbacks, closes the wakeup fd and marks the ctx closed. Late {@code occurred*} calls are then ignored and
     * counted, and each returns its nexus to the pool, so the ctx reaches zero busy nexi once the application has
     * delivered every outstanding {@code occurredTimeout}. Idempotent.
     *
     * @throws IllegalStateException if called from inside an osevent hook
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (hooksInProgress > 0) {
                throw new IllegalStateException("close must not be called from inside an osevent hook");
            }
            for (TimeEvent ev : new ArrayList<>(timers)) {
                deregisterTime(ev);
            }
            for (TimeEvent ev : new ArrayList<>(infiniteTimers)) {
                deregisterTime(ev);
            }
            for (FdEvent ev : new ArrayList<>(fdEvents)) {
                deregisterFd(ev);
            }
            closed = true;
            polling.close();
            log.debug("{}: closed; {} timeout nexi still owed an occurredTimeout", name, timeoutNexi.inUseCount());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "LibxlContext[" + name + ", " + protocol + (hooks != null ? ", hooks" : ", poll-only")
                + (closed ? ", closed" : "") + "]";
    }

    // ------------------------------------------------------------------ time events (called by TimeEvent)

    void timeRegister(TimeEvent ev, boolean relative, long value, TimeEventCallback cb) {
        if (cb == null) {
            throw new IllegalArgumentException("callback must not be null");
        }
        lock.lock();
        try {
            ensureOpen();
            if (ev.registered) {
                throw new IllegalStateException("time event is already registered: " + ev);
            }
            if (relative && value < 0) {
                ev.infinite = true;
                ev.deadline = Long.MAX_VALUE;
                ev.seq = ++registrationSeq;
                ev.callback = cb;
                ev.registered = true;
                infiniteTimers.add(ev);
                return;
            }
            long deadline = relative ? relToAbs(value) : value;
            TimeoutToken nexus = null;
            if (hooks != null) {
                nexus = timeoutNexi.take();
                nexus.event = ev;
                nexus.forApp = callHook(Hook.TIMEOUT_REGISTER, nexus, null, deadline, -1, 0);
            }
            ev.nexus = nexus;
            ev.infinite = false;
            ev.deadline = deadline;
            ev.seq = ++registrationSeq;
            ev.callback = cb;
            ev.registered = true;
            timers.add(ev);
            polling.noteOsEventAdded();
        } finally {
            lock.unlock();
        }
    }

    void timeDeregister(TimeEvent ev) {
        lock.lock();
        try {
            if (!ev.registered) {
                return;
            }
            deregisterTime(ev);
        } finally {
            lock.unlock();
        }
    }

    /**
     * libxl's {@code time_deregister}: takes a registered event out and tells the application through the active
     * protocol. Clears the callback. Called with the ctx lock held.
     */
    private void deregisterTime(TimeEvent ev) {
        ev.registered = false;
        ev.callback = null;
        if (ev.infinite) {
            infiniteTimers.remove(ev);
            return;
        }
        timers.remove(ev);
        TimeoutToken nexus = ev.nexus;
        ev.nexus = null;
        if (nexus == null) {
            return; // no hooks: nothing was asked of the application
        }
        if (protocol == DeregistrationProtocol.ASAP_MODIFY) {
            // Empty the nexus but leave it with the application: its occurredTimeout, which this modify makes
            // happen soon, will find it empty, discard the call and only then recycle the nexus.
            nexus.event = null;
            // On failure (ignored, as libxl ignores this hook's result) forApp stays as it was.
            nexus.forApp = callHook(Hook.TIMEOUT_MODIFY_ASAP, nexus, nexus.forApp, OsEventHooks.ASAP, -1, 0);
        } else {
            // Pre-fix libxl: recycle the nexus at once. UNSAFE: an occurredTimeout already on its way will hit
            // whatever event this nexus serves next.
            Object forApp = nexus.forApp;
            timeoutNexi.release(nexus);
            callHook(Hook.TIMEOUT_DEREGISTER, nexus, forApp, 0, -1, 0);
        }
    }

    /** Runs a time event's callback; the event is already deregistered. Called with the ctx lock held. */
    private void fireTime(TimeEvent ev) {
        TimeEventCallback cb = ev.callback;
        ev.callback = null;
        long requested = ev.deadline;
        timeoutsFired++;
        long now = timeSource.nanoTime();
        if (now < requested) {
            timeoutsFiredEarly++;
            log.debug("{}: {} fires {} ns before its deadline", name, ev, requested - now);
        }
        try {
            cb.onTimeout(ev, requested, LibxlError.TIMEDOUT.code());
        } catch (Throwable t) {
            callbackFailures++;
            log.error("{}: time event callback threw", name, t);
            rethrowIfFatal(t);
        }
    }

    // ------------------------------------------------------------------ fd events (called by FdEvent)

    void fdRegister(FdEvent ev, int fd, int events, FdEventCallback cb) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must not be negative: " + fd);
        }
        checkEvents(events);
        if (cb == null) {
            throw new IllegalArgumentException("callback must not be null");
        }
        lock.lock();
        try {
            ensureOpen();
            if (ev.registered) {
                throw new IllegalStateException("fd event is already registered: " + ev);
            }
            FdToken nexus = null;
            if (hooks != null) {
                nexus = fdNexi.take();
                nexus.event = ev;
                nexus.forApp = callHook(Hook.FD_REGISTER, nexus, null, 0, fd, events);
            }
            ev.nexus = nexus;
            ev.fd = fd;
            ev.events = events;
            ev.generation++;
            ev.callback = cb;
            ev.registered = true;
            fdEvents.add(ev);
            polling.noteOsEventAdded();
        } finally {
            lock.unlock();
        }
    }

    void fdModify(FdEvent ev, int events) {
        checkEvents(events);
        lock.lock();
        try {
            if (!ev.registered) {
                throw new IllegalStateException("fd event is not registered: " + ev);
            }
            FdToken nexus = ev.nexus;
            if (nexus != null) {
                nexus.forApp = callHook(Hook.FD_MODIFY, nexus, nexus.forApp, 0, ev.fd, events);
            }
            int added = events & ~ev.events;
            ev.events = events;
            if (added != 0) {
                polling.noteOsEventAdded();
            }
        } finally {
            lock.unlock();
        }
    }

    void fdDeregister(FdEvent ev) {
        lock.lock();
        try {
            if (!ev.registered) {
                return;
            }
            deregisterFd(ev);
        } finally {
            lock.unlock();
        }
    }

    /** Called with the ctx lock held, for a registered event. */
    private void deregisterFd(FdEvent ev) {
        int fd = ev.fd;
        ev.registered = false;
        ev.callback = null;
        ev.fd = -1;
        fdEvents.remove(ev);
        FdToken nexus = ev.nexus;
        ev.nexus = null;
        if (nexus == null) {
            return;
        }
        Object forApp = nexus.forApp;
        fdNexi.release(nexus);
        callHook(Hook.FD_DEREGISTER, nexus, forApp, 0, fd, 0);
    }

    /** libxl's {@code fd_occurs}: re-check with poll(2), then call back. Called with the ctx lock held. */
    void fdOccurs(FdEvent ev) {
        int current = Posix.pollNow(ev.fd, ev.events);
        if (current == 0) {
            fdReportsNotReady++;
            log.debug("{}: fd {} reported but not ready on re-check", name, ev.fd);
            return;
        }
        fdEventsDelivered++;
        try {
            ev.callback.onFd(ev, ev.fd, ev.events, current);
        } catch (Throwable t) {
            callbackFailures++;
            log.error("{}: fd event callback threw", name, t);
            rethrowIfFatal(t);
        }
    }

    // ------------------------------------------------------------------ helpers

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
    }

    private void checkNotInHook(String what) {
        if (hooksInProgress > 0) {
            throw new IllegalStateException(IN_HOOK_RULE + " (libxl's osevent_in_hook assertion); " + what
                    + " was called on " + name + " from inside a hook");
        }
    }

    private static void checkEvents(int events) {
        if ((events & ~REQUESTABLE_EVENTS) != 0) {
            throw new IllegalArgumentException("unknown poll event bits 0x" + Integer.toHexString(events)
                    + " (allowed: POLLIN, POLLPRI, POLLOUT)");
        }
    }

    /** The application's hooks, and what a failure of each means. */
    private enum Hook {
        TIMEOUT_REGISTER("timeoutRegister", true, "the registration is unchanged"),
        TIMEOUT_MODIFY_ASAP("timeoutModify(ASAP)", false, "ignored, as libxl ignores it: the timeout is"
                + " deregistered anyway, and its nexus waits for the application's occurredTimeout at the original"
                + " deadline"),
        TIMEOUT_DEREGISTER("timeoutDeregister", false, "it cannot fail; ignored"),
        FD_REGISTER("fdRegister", true, "the registration is unchanged"),
        FD_MODIFY("fdModify", true, "the registration is unchanged"),
        FD_DEREGISTER("fdDeregister", false, "it cannot fail; ignored");

        final String text;
        /** A failure refuses the change and is thrown to the toolstack; otherwise it goes no further. */
        final boolean refusable;
        /** What a failure leaves behind, for the log. */
        final String ifFailed;

        Hook(String text, boolean refusable, String ifFailed) {
            this.text = text;
            this.refusable = refusable;
            this.ifFailed = ifFailed;
        }
    }

    /**
     * Calls one of the application's hooks: the one way every hook is called. It is marked as in a hook (so that
     * {@code occurred*} from inside it throws), and a failure follows the rule of the class comment: counted and
     * logged; a refused register hook's nexus goes back to its pool; a refusable hook's failure is thrown as a
     * {@link LibxlException} carrying the refusal's error ({@link LibxlError#OSEVENT_REG_FAIL} for anything else
     * thrown), any other hook's failure returns {@code forApp} unchanged. A fatal {@link VirtualMachineError}
     * is counted and logged, then propagates as it is, after the nexus went back. Only the arguments the hook takes are used. (A switch, not a
     * lambda per call: this is the hot path of every registration, and it allocates nothing.) Called with the ctx
     * lock held.
     *
     * @return the hook's result: the application's registration object, or null for a deregister hook
     */
    private Object callHook(Hook hook, Nexus<?> nexus, Object forApp, long deadline, int fd, int events) {
        boolean ok = false;
        hooksInProgress++;
        try {
            Object result = switch (hook) {
                case TIMEOUT_REGISTER -> hooks.timeoutRegister(deadline, (TimeoutToken) nexus);
                case TIMEOUT_MODIFY_ASAP -> hooks.timeoutModify(forApp, deadline);
                case TIMEOUT_DEREGISTER -> {
                    hooks.timeoutDeregister(forApp);
                    yield null;
                }
                case FD_REGISTER -> hooks.fdRegister(fd, events, (FdToken) nexus);
                case FD_MODIFY -> hooks.fdModify(fd, forApp, events);
                case FD_DEREGISTER -> {
                    hooks.fdDeregister(fd, forApp);
                    yield null;
                }
            };
            ok = true;
            return result;
        } catch (Throwable t) {
            log.warn("{}: {} hook failed ({}); {}", name, hook.text, t, hook.ifFailed);
            rethrowIfFatal(t);
            if (!hook.refusable) {
                return forApp;
            }
            LibxlError error = t instanceof OsEventHookException e ? e.error() : LibxlError.OSEVENT_REG_FAIL;
            throw new LibxlException(error, hook.text + " hook failed: " + t.getMessage(), t);
        } finally {
            hooksInProgress--;
            if (!ok) {
                hookFailures++;
                if (hook == Hook.TIMEOUT_REGISTER) {
                    timeoutNexi.release((TimeoutToken) nexus);
                } else if (hook == Hook.FD_REGISTER) {
                    fdNexi.release((FdToken) nexus);
                }
            }
        }
    }

    /** The failure rule of the class comment: rethrows {@code t} if it is fatal to the JVM. */
    private static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
            throw (VirtualMachineError) t;
        }
    }

    /** now + ms, saturating instead of overflowing. Called with the ctx lock held. */
    private long relToAbs(long ms) {
        long now = timeSource.nanoTime();
        long delta = ms > Long.MAX_VALUE / NANOS_PER_MILLI ? Long.MAX_VALUE : ms * NANOS_PER_MILLI;
        long deadline = now + delta;
        return ((now ^ deadline) & (delta ^ deadline)) < 0 ? Long.MAX_VALUE : deadline;
    }

    // ------------------------------------------------------------------ for PollIntegration (ctx lock held)

    /** The registered fd events, in registration order; read-only. Called with the ctx lock held. */
    Collection<FdEvent> registeredFdEvents() {
        return Collections.unmodifiableCollection(fdEvents);
    }

    /** The registered finite time event with the earliest deadline, or null. Called with the ctx lock held. */
    TimeEvent earliestTimeEvent() {
        return timers.isEmpty() ? null : timers.first();
    }

    /** The registered finite time events due at {@code now}, earliest first. Called with the ctx lock held. */
    List<TimeEvent> timeEventsDueBy(long now) {
        List<TimeEvent> due = new ArrayList<>();
        for (TimeEvent ev : timers) {
            if (ev.deadline > now) {
                break;
            }
            due.add(ev);
        }
        return due;
    }

    /**
     * Fires a registered time event found expired by polling: deregistered through the active protocol first (so
     * with hooks the application is asked to fire it ASAP and its later occurredTimeout is discarded), then its
     * callback runs. Called with the ctx lock held.
     */
    void fireExpired(TimeEvent ev) {
        TimeEventCallback cb = ev.callback;
        deregisterTime(ev);
        ev.callback = cb;
        fireTime(ev);
    }

    /** The logger this ctx was built with. */
    Logger log() {
        return log;
    }
}
