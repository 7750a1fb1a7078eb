package org.xlbridge.libxl;

import com.sun.jna.LastErrorException;
import java.util.ArrayList;
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
 * application what to watch in one of two ways, which may be mixed:
 * <ul>
 *   <li>hooks ({@code libxl_osevent_register_hooks}): the application's {@link OsEventHooks} are called on every
 *       registration change, and the application reports back through {@link #occurredTimeout} and
 *       {@link #occurredFd} ({@code libxl_osevent_occurred_*});</li>
 *   <li>polling ({@code libxl_osevent_beforepoll} / {@code _afterpoll}): {@link #beforePoll()} says what to poll
 *       and for how long, {@link #afterPoll} dispatches what poll(2) found and what expired.</li>
 * </ul>
 *
 * <p>The tokens handed to the application ("for_libxl") are nexi from a pool per kind, as in libxl: a nexus points
 * at its event or at nothing, and the application may hand one back arbitrarily late. How a timeout is
 * deregistered is the {@link DeregistrationProtocol}: the fixed {@link DeregistrationProtocol#ASAP_MODIFY} (default)
 * or the unsafe {@link DeregistrationProtocol#LEGACY_DEREGISTER}, kept to reproduce the race the fix removed.
 * {@code docs/libxl-core.md} explains both with a timeline.
 *
 * <p>Deadlines are nanoseconds on the ctx's {@link TimeSource} and are compared as plain signed values (the
 * clock must not wrap; {@link System#nanoTime()} does not in practice).
 *
 * <p>Locking rules. One {@link ReentrantLock}, the ctx lock (libxl's {@code CTX_LOCK}), guards every mutable field
 * of the ctx, of its nexi and of its events; every method that reads or changes that state takes it. The
 * application's hooks are always called with it held; event callbacks run with it held, as in libxl, and may
 * register and deregister events.
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

    /**
     * The poll-style wakeup pipe, made by the first beforePoll; -1 until then and after close. Guarded by the ctx
     * lock.
     */
    private int wakeupReadFd = -1;
    /** Guarded by the ctx lock. */
    private int wakeupWriteFd = -1;
    /** A wakeup byte was written and not yet drained by afterPoll (libxl's pipe_nonempty). Guarded by the ctx lock. */
    private boolean wakeupPending;

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
     * the ctx's wakeup pipe, and the timeout to the earliest deadline. Call with no ctx lock held by the caller's
     * poll, then pass the result and poll(2)'s answer to {@link #afterPoll}. Works with or without hooks.
     *
     * @throws IllegalStateException if the ctx is closed
     * @throws LibxlException        ({@link LibxlError#FAIL}) if the wakeup pipe cannot be made
     */
    public PollRequest beforePoll() {
        lock.lock();
        try {
            ensureOpen();
            ensureWakeupPipe();
            long now = timeSource.nanoTime();
            int n = 0;
            for (FdEvent ev : fdEvents) {
                if (ev.events != 0) {
                    n++;
                }
            }
            int[] fds = new int[n + 1];
            int[] bits = new int[n + 1];
            FdEvent[] owners = new FdEvent[n + 1];
            long[] generations = new long[n + 1];
            int i = 0;
            for (FdEvent ev : fdEvents) {
                if (ev.events != 0) {
                    fds[i] = ev.fd;
                    bits[i] = ev.events;
                    owners[i] = ev;
                    generations[i] = ev.generation;
                    i++;
                }
            }
            fds[i] = wakeupReadFd;
            bits[i] = Posix.POLLIN;
            int timeoutMs = timers.isEmpty() ? -1 : millisUntil(timers.first().deadline, now);
            return new PollRequest(this, now, timeoutMs, fds, bits, owners, generations);
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
        afterPoll(request, revents);
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
            long now = timeSource.nanoTime();
            boolean wakeupSeen = false;
            for (int i = 0; i < request.size() && !closed; i++) {
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
                fdOccurs(ev);
            }
            if (!closed) {
                List<TimeEvent> due = new ArrayList<>();
                List<Long> dueSeqs = new ArrayList<>();
                for (TimeEvent ev : timers) {
                    if (ev.deadline > now) {
                        break;
                    }
                    due.add(ev);
                    dueSeqs.add(ev.seq);
                }
                for (int i = 0; i < due.size() && !closed; i++) {
                    TimeEvent ev = due.get(i);
                    if (!ev.registered || ev.seq != dueSeqs.get(i)) {
                        continue; // deregistered (or re-registered) by an earlier callback
                    }
                    TimeEventCallback cb = ev.callback;
                    deregisterTime(ev);
                    ev.callback = cb;
                    fireTime(ev);
                }
            }
            if (wakeupSeen && wakeupReadFd >= 0) {
                drainWakeup();
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Frees the ctx ({@code libxl_ctx_free}): deregisters every registered event through the active protocol
     * (timeouts by {@code timeoutModify(ASAP)} under {@link DeregistrationProtocol#ASAP_MODIFY}, by
     * {@code timeoutDeregister} under the legacy one; fds by {@code fdDeregister}), without running their
     * callbacks, closes the wakeup pipe and marks the ctx closed. Late {@code occurred*} calls are then ignored and
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
            if (wakeupReadFd >= 0) {
                Posix.closeQuietly(wakeupReadFd);
                Posix.closeQuietly(wakeupWriteFd);
                wakeupReadFd = -1;
                wakeupWriteFd = -1;
            }
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
                boolean ok = false;
                hooksInProgress++;
                try {
                    nexus.forApp = hooks.timeoutRegister(deadline, nexus);
                    ok = true;
                } catch (OsEventHookException e) {
                    throw refused("timeoutRegister", e.error(), e);
                } catch (RuntimeException e) {
                    throw refused("timeoutRegister", LibxlError.OSEVENT_REG_FAIL, e);
                } finally {
                    hooksInProgress--;
                    if (!ok) {
                        timeoutNexi.release(nexus);
                        hookFailures++;
                    }
                }
            }
            ev.nexus = nexus;
            ev.infinite = false;
            ev.deadline = deadline;
            ev.seq = ++registrationSeq;
            ev.callback = cb;
            ev.registered = true;
            timers.add(ev);
            noteOsEventAdded();
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
            hooksInProgress++;
            try {
                nexus.forApp = hooks.timeoutModify(nexus.forApp, OsEventHooks.ASAP);
            } catch (OsEventHookException | RuntimeException e) {
                // As libxl, which ignores this hook's result: the application's registration is still live and
                // will deliver at its original deadline, so the nexus stays out until then.
                hookFailures++;
                log.warn("{}: timeoutModify(ASAP) failed; the timeout is deregistered anyway and {} waits for the"
                        + " application's occurredTimeout at the original deadline", name, nexus, e);
            } finally {
                hooksInProgress--;
            }
        } else {
            // Pre-fix libxl: recycle the nexus at once. UNSAFE: an occurredTimeout already on its way will hit
            // whatever event this nexus serves next.
            Object forApp = nexus.forApp;
            timeoutNexi.release(nexus);
            hooksInProgress++;
            try {
                hooks.timeoutDeregister(forApp);
            } catch (RuntimeException e) {
                hookFailures++;
                log.warn("{}: timeoutDeregister hook threw (it cannot fail); ignored", name, e);
            } finally {
                hooksInProgress--;
            }
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
        } catch (RuntimeException e) {
            callbackFailures++;
            log.error("{}: time event callback threw", name, e);
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
                boolean ok = false;
                hooksInProgress++;
                try {
                    nexus.forApp = hooks.fdRegister(fd, events, nexus);
                    ok = true;
                } catch (OsEventHookException e) {
                    throw refused("fdRegister", e.error(), e);
                } catch (RuntimeException e) {
                    throw refused("fdRegister", LibxlError.OSEVENT_REG_FAIL, e);
                } finally {
                    hooksInProgress--;
                    if (!ok) {
                        fdNexi.release(nexus);
                        hookFailures++;
                    }
                }
            }
            ev.nexus = nexus;
            ev.fd = fd;
            ev.events = events;
            ev.generation++;
            ev.callback = cb;
            ev.registered = true;
            fdEvents.add(ev);
            noteOsEventAdded();
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
                boolean ok = false;
                hooksInProgress++;
                try {
                    nexus.forApp = hooks.fdModify(ev.fd, nexus.forApp, events);
                    ok = true;
                } catch (OsEventHookException e) {
                    throw refused("fdModify", e.error(), e);
                } catch (RuntimeException e) {
                    throw refused("fdModify", LibxlError.OSEVENT_REG_FAIL, e);
                } finally {
                    hooksInProgress--;
                    if (!ok) {
                        hookFailures++;
                    }
                }
            }
            int added = events & ~ev.events;
            ev.events = events;
            if (added != 0) {
                noteOsEventAdded();
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
        hooksInProgress++;
        try {
            hooks.fdDeregister(fd, forApp);
        } catch (RuntimeException e) {
            hookFailures++;
            log.warn("{}: fdDeregister hook threw (it cannot fail); ignored", name, e);
        } finally {
            hooksInProgress--;
        }
    }

    /** libxl's {@code fd_occurs}: re-check with poll(2), then call back. Called with the ctx lock held. */
    private void fdOccurs(FdEvent ev) {
        int current = Posix.pollNow(ev.fd, ev.events);
        if (current == 0) {
            fdReportsNotReady++;
            log.debug("{}: fd {} reported but not ready on re-check", name, ev.fd);
            return;
        }
        fdEventsDelivered++;
        try {
            ev.callback.onFd(ev, ev.fd, ev.events, current);
        } catch (RuntimeException e) {
            callbackFailures++;
            log.error("{}: fd event callback threw", name, e);
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

    private LibxlException refused(String hook, LibxlError error, Exception cause) {
        log.warn("{}: {} hook failed: {}", name, hook, cause.toString());
        return new LibxlException(error, hook + " hook failed: " + cause.getMessage(), cause);
    }

    /** now + ms, saturating instead of overflowing. Called with the ctx lock held. */
    private long relToAbs(long ms) {
        long now = timeSource.nanoTime();
        long delta = ms > Long.MAX_VALUE / NANOS_PER_MILLI ? Long.MAX_VALUE : ms * NANOS_PER_MILLI;
        long deadline = now + delta;
        return ((now ^ deadline) & (delta ^ deadline)) < 0 ? Long.MAX_VALUE : deadline;
    }

    /** poll(2) timeout reaching {@code deadline}: rounded up, 0 if past, at most Integer.MAX_VALUE. */
    static int millisUntil(long deadline, long now) {
        if (deadline <= now) {
            return 0;
        }
        long diff = deadline - now;
        if (diff < 0) {
            return Integer.MAX_VALUE; // further away than a long can say
        }
        long ms = diff / NANOS_PER_MILLI + (diff % NANOS_PER_MILLI != 0 ? 1 : 0);
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    /** Makes the poll-style wakeup pipe on first use. Called with the ctx lock held. */
    private void ensureWakeupPipe() {
        if (wakeupReadFd >= 0) {
            return;
        }
        int[] pipe = new int[2];
        try {
            Posix.pipe2(pipe, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new LibxlException(LibxlError.FAIL, "cannot make the wakeup pipe: errno " + Posix.errno(e), e);
        }
        wakeupReadFd = pipe[0];
        wakeupWriteFd = pipe[1];
        wakeupPending = false;
    }

    /**
     * libxl's {@code pollers_note_osevent_added} plus the wakeup: an application polling on a set from an earlier
     * beforePoll must wake up and ask again. One byte per round is enough. Called with the ctx lock held.
     */
    private void noteOsEventAdded() {
        if (wakeupWriteFd < 0 || wakeupPending) {
            return;
        }
        wakeupPending = true;
        try {
            Posix.write(wakeupWriteFd, new byte[] {1}, 1);
        } catch (LastErrorException e) {
            if (Posix.errno(e) != Posix.EAGAIN) {
                log.error("{}: cannot write the wakeup pipe: errno {}", name, Posix.errno(e));
            }
        }
    }

    /** Empties the wakeup pipe. Called with the ctx lock held. */
    private void drainWakeup() {
        byte[] buf = new byte[64];
        while (true) {
            try {
                if (Posix.read(wakeupReadFd, buf, buf.length) <= 0) {
                    break;
                }
            } catch (LastErrorException e) {
                if (Posix.errno(e) == Posix.EINTR) {
                    continue;
                }
                if (Posix.errno(e) != Posix.EAGAIN) {
                    log.error("{}: cannot read the wakeup pipe: errno {}", name, Posix.errno(e));
                }
                break;
            }
        }
        wakeupPending = false;
    }
}
