package org.xlbridge.eventloop.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.logging.RepeatedFailureLog;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.IdWraps;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.ids.IdAllocator;
import org.xlbridge.time.TimeSource;

/**
 * The loop core: everything an {@link EventLoop} does except waiting, which it leaves to a
 * {@link Poller}. It owns the ids, the timers ({@link TimerQueue}), the handles, the frees, the runner
 * hand-over, stop and close, and dispatch with failure counting, and it checks the arguments. The
 * embedded loop ({@code poll.PollEventLoop}) is this core over ppoll(2); the manual test loop
 * ({@code testing.ManualEventLoop}) is this core on a virtual clock over a poller that reports what the
 * test says is ready. The rules for stop, interrupts and callback errors are those of {@link EventLoop}.
 *
 * <p>One iteration: run pending frees; if the handle set changed, hand it to the poller; poll with a
 * timeout of (earliest expiry - now) in nanoseconds (0 when a timer is due at once, frees ran or wait,
 * a stop or close is pending, or the caller asked for a pass that does not wait; no limit when nothing
 * is pending); dispatch the timers due when dispatching begins, in (expiry, id) order; dispatch the
 * ready handles in the poller's order; run pending frees. A timer is dispatched only when the clock has
 * reached its expiry, so it never fires early; its next expiry is its dispatch time plus its period. A
 * timer added or re-based during a pass waits for the next pass.
 *
 * <p>Ids come from two {@link IdAllocator}s (timers, watches): they wrap to 1 after
 * {@link Integer#MAX_VALUE} and skip every id still live or recently freed. A removed registration's id
 * is released to its allocator only after its free callback has run (without one: at the runner's next
 * free pass, when no callback of it can still be running), then stays unused for the allocator's
 * quarantine; see {@code docs/eventloop.md}.
 *
 * <p>Locking rules. One loop lock ({@link #lock}) guards all registration state: the timer queue, the
 * id tables, the handle list, the free queue, the counters and the run/poll/close flags. It is never
 * held while a {@link TimeoutCallback}, {@link HandleCallback} or {@link FreeCallback} runs, nor during
 * {@link Poller#poll}. {@link Poller#wake()} is called with the lock held, so that {@link #close()} can
 * never close the poller under a waker; the core calls it at most once per blocked poll. State marked
 * "runner-confined" is touched only by the thread currently running the loop; the runner changes hands
 * only through {@link #enterLoop()} / {@link #exitLoop()}, which take the lock, so each runner sees the
 * previous one's writes.
 */
public class CoreEventLoop implements EventLoop, IdWraps {
    private static final Logger LOG = LoggerFactory.getLogger(CoreEventLoop.class);
    /** Callback failures: the first ten in full, then thinned out (a callback may throw millions of times). */
    private final RepeatedFailureLog callbackFailureLog = new RepeatedFailureLog(LOG, 10);

    private final TimeSource clock;
    private final Poller poller;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled (under {@link #lock}) when the runner leaves the loop. */
    private final Condition runnerLeft = lock.newCondition();

    /** Guarded by lock. Enabled timers: the heap and the ready list. */
    private final TimerQueue queue = new TimerQueue();
    /** Guarded by lock. Live (not removed) timers by id. */
    private final IdTable<TimerRegistration> timers = new IdTable<>();
    /** Guarded by lock. Live handles by id. */
    private final IdTable<HandleRegistration> handles = new IdTable<>();
    /** Guarded by lock. Live handles in registration order: the poll and dispatch order. */
    private final ArrayList<HandleRegistration> handleOrder = new ArrayList<>();
    /** Guarded by lock. Removed registrations whose free callback has not been taken for running yet. */
    private final ArrayDeque<Registration> pendingFrees = new ArrayDeque<>();
    /** Removed registrations whose free has not finished (queued or running). Atomic: decremented unlocked. */
    private final AtomicInteger unfreed = new AtomicInteger();

    /** Guarded by lock. The id counters (the test-and-soak seam of {@link IdAllocator#configured}). */
    private final IdAllocator timerIds = IdAllocator.configured("timer");
    private final IdAllocator watchIds = IdAllocator.configured("watch");
    /** Guarded by lock. Removed registrations without a free callback whose id is not released yet. */
    private final ArrayList<Registration> pendingReleases = new ArrayList<>();
    /** Guarded by lock. The handle set or an events mask changed since the poller was told. */
    private boolean handlesChanged = true;
    /** Guarded by lock. The thread running the loop (inside run/runOnce or a pass), or null. */
    private Thread runner;
    /** Guarded by lock. True from the moment the runner has chosen its poll timeout until poll returns. */
    private boolean polling;
    /** Guarded by lock. When the current poll will time out (clock nanos); valid if pollHasDeadline. */
    private long pollWakeAt;
    private boolean pollHasDeadline;
    /** Guarded by lock. A wake was sent during this poll: later changes need not send another. */
    private boolean wakeSent;
    /** Guarded by lock. stop() was called and no run()/runOnce() has returned for it yet. */
    private boolean stopRequested;
    /** Guarded by lock. close() was called. */
    private boolean closed;
    /** Guarded by lock. The close work (frees, poller) has been claimed by a thread. */
    private boolean closeClaimed;

    /** Guarded by lock. Counters. */
    private long dispatches;
    private long callbackFailures;
    private long iterations;
    private long maxLatenessNanos;
    private long latenessTotalNanos;
    private long latenessSamples;
    private long wakeups;
    private long watchChanges;

    /** Runner-confined. The timers taken for the current dispatch pass. */
    private TimerRegistration[] dueBatch = new TimerRegistration[16];
    /** Runner-confined. The frees taken for running. */
    private final ArrayList<Registration> freeBatch = new ArrayList<>();

    /**
     * A core whose expiry arithmetic uses {@code clock} and which waits in {@code poller}; the poll
     * timeout is derived from the same clock.
     *
     * @param name for {@link #toString()} and logs, e.g. the subclass's simple name
     */
    protected CoreEventLoop(String name, TimeSource clock, Poller poller) {
        this.name = Objects.requireNonNull(name, "name");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.poller = Objects.requireNonNull(poller, "poller");
    }

    // ---------------------------------------------------------------------------------------------
    // Timers

    @Override
    public final int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        Contract.requireTimeout(frequencyMs, cb);
        long now = frequencyMs >= 0 ? clock.nanoTime() : 0;
        lock.lock();
        try {
            ensureOpen();
            int id = timerIds.allocate();
            TimerRegistration t = new TimerRegistration(id, cb, ff);
            queue.schedule(t, frequencyMs, now);
            timers.put(id, t);
            if (frequencyMs >= 0) {
                wakeForExpiryLocked(t.expiryNanos);
            }
            return id;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final void updateTimeout(int timer, int frequencyMs) {
        Contract.requireFrequency(frequencyMs);
        long now = frequencyMs >= 0 ? clock.nanoTime() : 0;
        lock.lock();
        try {
            ensureOpen();
            TimerRegistration t = timers.get(timer);
            if (t == null) {
                return;
            }
            queue.schedule(t, frequencyMs, now);
            if (frequencyMs >= 0) {
                wakeForExpiryLocked(t.expiryNanos);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final boolean removeTimeout(int timer) {
        lock.lock();
        try {
            ensureOpen();
            TimerRegistration t = timers.remove(timer);
            if (t == null) {
                return false;
            }
            t.removed = true;
            queue.remove(t);
            queueFreeLocked(t);
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Handles

    @Override
    public final int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        Contract.requireHandle(fd, events, cb);
        lock.lock();
        try {
            ensureOpen();
            int id = watchIds.allocate();
            HandleRegistration h = new HandleRegistration(id, fd, events, cb, ff);
            handles.put(id, h);
            handleOrder.add(h);
            handlesChanged = true;
            wakeLocked();
            return id;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final void updateHandle(int watch, int events) {
        HandleEvents.requireValid(events);
        lock.lock();
        try {
            ensureOpen();
            HandleRegistration h = handles.get(watch);
            if (h == null || h.events == events) {
                return;
            }
            h.events = events;
            handlesChanged = true;
            wakeLocked();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final boolean removeHandle(int watch) {
        lock.lock();
        try {
            ensureOpen();
            HandleRegistration h = handles.remove(watch);
            if (h == null) {
                return false;
            }
            h.removed = true;
            handleOrder.remove(h);
            handlesChanged = true;
            queueFreeLocked(h);
            wakeLocked(); // the fd must leave the poll set promptly, free or not
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Running

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException when closed, when called from one of this loop's callbacks, or
     *                               while another thread runs the loop
     * @throws EventLoopException    if the poller's system call fails
     */
    @Override
    public final void runOnce() {
        enterLoop();
        try {
            iterate(true);
            lock.lock();
            try {
                stopRequested = false;
            } finally {
                lock.unlock();
            }
        } finally {
            exitLoop();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException when closed, when called from one of this loop's callbacks, or
     *                               while another thread runs the loop
     * @throws EventLoopException    if the poller's system call fails
     */
    @Override
    public final void run() {
        enterLoop();
        try {
            while (true) {
                lock.lock();
                try {
                    if (closed) {
                        return;
                    }
                    if (stopRequested) {
                        stopRequested = false;
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                iterate(true);
            }
        } finally {
            exitLoop();
        }
    }

    /** {@inheritDoc} @throws IllegalStateException when closed */
    @Override
    public final void stop() {
        lock.lock();
        try {
            ensureOpen();
            stopRequested = true;
            wakeLocked();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final EventLoopStats stats() {
        lock.lock();
        try {
            return new EventLoopStats(timers.size(), handles.size(), dispatches, callbackFailures,
                    unfreed.get(), iterations, maxLatenessNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Timer dispatches whose lateness was measured (for a mean with {@link #latenessTotalNanos()}). */
    public final long latenessSamples() {
        lock.lock();
        try {
            return latenessSamples;
        } finally {
            lock.unlock();
        }
    }

    /** The sum of all measured lateness (dispatch time minus expiry), in nanoseconds. */
    public final long latenessTotalNanos() {
        lock.lock();
        try {
            return latenessTotalNanos;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>If another thread is running the loop, close() wakes it and waits until it has left; that
     * thread runs the outstanding frees on its way out. If called from one of this loop's callbacks,
     * close() returns at once and the loop thread runs the frees as soon as the callback returns.
     * Otherwise the frees run on the calling thread before close() returns. The loop methods called
     * from those frees see a closed loop. A second close() returns at once.
     */
    @Override
    public final void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            stopRequested = true;
            if (runner != null) {
                if (runner == Thread.currentThread()) {
                    return;
                }
                wakeLocked();
                while (runner != null) {
                    runnerLeft.awaitUninterruptibly();
                }
                return;
            }
            closeClaimed = true;
        } finally {
            lock.unlock();
        }
        finishClose();
    }

    @Override
    public String toString() {
        EventLoopStats s = stats();
        return name + "[timeouts=" + s.liveTimeouts() + ", handles=" + s.liveHandles()
                + ", pendingFrees=" + s.pendingFrees() + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Inspection (for tests and tools)

    @Override
    public final long timerIdWraps() {
        lock.lock();
        try {
            return timerIds.wraps();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final long watchIdWraps() {
        lock.lock();
        try {
            return watchIds.wraps();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the timer id {@code timer} is taken: live, removed with its free not yet run, or freed less
     * than the quarantine ago (an add cannot return it).
     */
    public final boolean isTimerIdTaken(int timer) {
        lock.lock();
        try {
            return timerIds.isTaken(timer);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the watch id {@code watch} is taken (see {@link #isTimerIdTaken}). */
    public final boolean isWatchIdTaken(int watch) {
        lock.lock();
        try {
            return watchIds.isTaken(watch);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code timer} was added and not removed. */
    public final boolean isTimeoutLive(int timer) {
        lock.lock();
        try {
            return timers.get(timer) != null;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code watch} was added and not removed. */
    public final boolean isHandleLive(int watch) {
        lock.lock();
        try {
            return handles.get(watch) != null;
        } finally {
            lock.unlock();
        }
    }

    /** The frequency of a live timer, or empty. */
    public final OptionalInt timeoutFrequency(int timer) {
        lock.lock();
        try {
            TimerRegistration t = timers.get(timer);
            return t == null ? OptionalInt.empty() : OptionalInt.of(t.frequencyMs);
        } finally {
            lock.unlock();
        }
    }

    /** The next expiry (clock nanos) of a live, enabled timer, or empty. */
    public final OptionalLong timeoutExpiry(int timer) {
        lock.lock();
        try {
            TimerRegistration t = timers.get(timer);
            return t == null || t.frequencyMs < 0 ? OptionalLong.empty() : OptionalLong.of(t.expiryNanos);
        } finally {
            lock.unlock();
        }
    }

    /** The events a live handle watches, or empty. */
    public final OptionalInt handleEvents(int watch) {
        lock.lock();
        try {
            HandleRegistration h = handles.get(watch);
            return h == null ? OptionalInt.empty() : OptionalInt.of(h.events);
        } finally {
            lock.unlock();
        }
    }

    /** The fd of a live handle, or empty. */
    public final OptionalInt handleFd(int watch) {
        lock.lock();
        try {
            HandleRegistration h = handles.get(watch);
            return h == null ? OptionalInt.empty() : OptionalInt.of(h.fd());
        } finally {
            lock.unlock();
        }
    }

    /** The ids of the live timers, ascending. */
    public final List<Integer> liveTimeouts() {
        lock.lock();
        try {
            List<TimerRegistration> live = new ArrayList<>(timers.size());
            timers.valuesTo(live);
            List<Integer> ids = new ArrayList<>(live.size());
            live.forEach(t -> ids.add(t.id));
            return ids;
        } finally {
            lock.unlock();
        }
    }

    /** The ids of the live handles, ascending. */
    public final List<Integer> liveHandles() {
        lock.lock();
        try {
            List<Integer> ids = new ArrayList<>(handleOrder.size());
            handleOrder.forEach(h -> ids.add(h.id));
            return ids;
        } finally {
            lock.unlock();
        }
    }

    /** The earliest expiry among enabled timers (a timer due at once counts with its expiry), or empty. */
    public final OptionalLong nextExpiry() {
        lock.lock();
        try {
            List<TimerRegistration> live = new ArrayList<>(timers.size());
            timers.valuesTo(live);
            long best = 0;
            boolean any = false;
            for (TimerRegistration t : live) {
                if (t.frequencyMs >= 0 && (!any || t.expiryNanos - best < 0)) {
                    best = t.expiryNanos;
                    any = true;
                }
            }
            return any ? OptionalLong.of(best) : OptionalLong.empty();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // For subclasses

    /** The clock this core reads. */
    protected final TimeSource clock() {
        return clock;
    }

    /** The poll timeout the next iteration would use, by the clock as it reads now (-1: no limit). */
    protected final long nextPollTimeoutNanos() {
        long now = clock.nanoTime();
        lock.lock();
        try {
            return pollTimeoutLocked(now);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code passes} iterations that do not wait, as the runner; {@code beforeEach} runs with the
     * loop lock held before each one, and may return false to end early. Stop requests are left for
     * run()/runOnce().
     *
     * @return handle callbacks run
     * @throws IllegalStateException when closed, when called from one of this loop's callbacks, or
     *                               while another thread runs the loop
     */
    protected final int runPasses(PassGuard beforeEach) {
        enterLoop();
        try {
            int handled = 0;
            while (true) {
                lock.lock();
                try {
                    if (closed || !beforeEach.beforePass()) {
                        return handled;
                    }
                } finally {
                    lock.unlock();
                }
                handled += iterate(false);
            }
        } finally {
            exitLoop();
        }
    }

    /** Decides, with the loop lock held, whether one more pass of {@link #runPasses} runs. */
    @FunctionalInterface
    protected interface PassGuard {
        boolean beforePass();
    }

    /**
     * The earliest expiry after {@code after} among scheduled timers, or {@code none}; call only from a
     * {@link PassGuard} (the lock is held). O(number of timers).
     */
    protected final long nextExpiryAfterLocked(long after, long none) {
        return queue.nextExpiryAfter(after, none);
    }

    /** The live handle {@code watch}, or null; call only from a {@link PassGuard} (the lock is held). */
    protected final HandleRegistration handleLocked(int watch) {
        return handles.get(watch);
    }

    // ---------------------------------------------------------------------------------------------
    // The iteration

    /** One iteration; {@code mayWait} false makes the poll not wait. Returns handle callbacks run. */
    private int iterate(boolean mayWait) {
        // Frees run here are this iteration's work: poll must not then block as if nothing happened.
        boolean freed = runPendingFrees();
        long timeoutNanos;
        long now = clock.nanoTime();
        lock.lock();
        try {
            if (closed) {
                return 0;
            }
            if (handlesChanged) {
                poller.watch(handleOrder);
                handlesChanged = false;
                watchChanges++;
            }
            timeoutNanos = freed || !mayWait ? 0 : pollTimeoutLocked(now);
            pollHasDeadline = timeoutNanos >= 0;
            pollWakeAt = now + timeoutNanos;
            polling = true;
        } finally {
            lock.unlock();
        }
        int ready;
        try {
            ready = poller.poll(timeoutNanos);
        } finally {
            lock.lock();
            try {
                polling = false;
                wakeSent = false;
                iterations++;
            } finally {
                lock.unlock();
            }
        }
        dispatchTimers();
        int handled = ready > 0 ? dispatchHandles(ready) : 0;
        runPendingFrees();
        return handled;
    }

    /**
     * The time left to the earliest expiry, in nanoseconds; 0 when a timer is due or there is other
     * work (a stop, a close or frees waiting); -1 (no limit) when nothing is pending.
     */
    private long pollTimeoutLocked(long now) {
        if (stopRequested || closed || !pendingFrees.isEmpty() || queue.hasReady()) {
            return 0;
        }
        TimerRegistration earliest = queue.earliestScheduled();
        if (earliest == null) {
            return -1;
        }
        long remaining = earliest.expiryNanos - now;
        return remaining <= 0 ? 0 : remaining;
    }

    private void dispatchTimers() {
        int batchSize;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            dueBatch = queue.takeDue(clock.nanoTime(), dueBatch);
            batchSize = queue.lastTakeCount;
        } finally {
            lock.unlock();
        }
        int next = 0;
        try {
            while (next < batchSize) {
                TimerRegistration t = dueBatch[next];
                dueBatch[next] = null;
                next++;
                if (claimTimerDispatch(t)) {
                    invoke(t, null, 0);
                }
            }
        } finally {
            if (next < batchSize) {
                putBackUndispatched(next, batchSize);
            }
        }
    }

    /**
     * Decides, under the lock, whether a timer taken for this pass still fires: not removed, disabled
     * or re-based since (then it is no longer TAKEN), the loop not closed, and due by the clock now. If
     * so re-arms it at dispatch time + period and counts the dispatch and its lateness.
     */
    private boolean claimTimerDispatch(TimerRegistration t) {
        lock.lock();
        try {
            if (t.state != TimerRegistration.State.TAKEN) {
                return false;
            }
            if (closed) {
                queue.putBack(t);
                return false;
            }
            long now = clock.nanoTime();
            long lateness = now - t.expiryNanos;
            if (lateness < 0) {
                queue.putBack(t); // the clock went backwards: never fire early
                return false;
            }
            if (lateness > maxLatenessNanos) {
                maxLatenessNanos = lateness;
            }
            latenessTotalNanos += lateness;
            latenessSamples++;
            queue.rearm(t, now);
            dispatches++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void putBackUndispatched(int from, int to) {
        lock.lock();
        try {
            for (int i = from; i < to; i++) {
                TimerRegistration t = dueBatch[i];
                dueBatch[i] = null;
                if (!t.removed) {
                    queue.putBack(t);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private int dispatchHandles(int ready) {
        int handled = 0;
        for (int i = 0; i < ready; i++) {
            HandleRegistration h = poller.readyHandle(i);
            int events;
            lock.lock();
            try {
                if (closed) {
                    return handled;
                }
                if (h.removed || h.events == 0) {
                    continue;
                }
                // Only what is watched now (the mask may have changed since the poll), plus the
                // conditions poll(2) reports unasked.
                events = poller.readyEvents(i) & (h.events | HandleEvents.ERROR | HandleEvents.HANGUP);
                if (events == 0) {
                    continue;
                }
                dispatches++;
            } finally {
                lock.unlock();
            }
            handled++;
            invoke(null, h, events);
        }
        return handled;
    }

    /** Runs one timer or handle callback under the callback-error rule of {@link EventLoop}. */
    private void invoke(TimerRegistration t, HandleRegistration h, int events) {
        try {
            if (t != null) {
                t.callback.onTimeout(t.id);
            } else {
                h.callback.onEvent(h.id, h.fd(), events);
            }
        } catch (Throwable e) {
            failed(e, t != null ? t : h, "callback");
        }
    }

    /**
     * Runs the queued frees and releases the ids of the registrations freed (and of removed ones without
     * a free callback: the runner is between callbacks, so none of theirs runs); returns whether there
     * were frees.
     */
    private boolean runPendingFrees() {
        lock.lock();
        try {
            if (!pendingReleases.isEmpty()) {
                for (int i = 0; i < pendingReleases.size(); i++) {
                    releaseIdLocked(pendingReleases.get(i));
                }
                pendingReleases.clear();
            }
            if (pendingFrees.isEmpty()) {
                return false;
            }
            freeBatch.addAll(pendingFrees);
            pendingFrees.clear();
        } finally {
            lock.unlock();
        }
        int attempted = 0;
        try {
            while (attempted < freeBatch.size()) {
                runFree(freeBatch.get(attempted++));
            }
        } finally {
            // Ids of the frees that ran (or threw) are released; anything not run (a fatal error
            // escaped) goes back to the queue, in order.
            lock.lock();
            try {
                for (int i = 0; i < attempted; i++) {
                    releaseIdLocked(freeBatch.get(i));
                }
                for (int i = freeBatch.size() - 1; i >= attempted; i--) {
                    pendingFrees.addFirst(freeBatch.get(i));
                }
            } finally {
                lock.unlock();
            }
            freeBatch.clear();
        }
        return true;
    }

    private void runFree(Registration r) {
        try {
            r.free.free();
        } catch (Throwable e) {
            failed(e, r, "free callback");
        } finally {
            unfreed.decrementAndGet();
        }
    }

    /** The callback-error rule: count and log; rethrow what {@link Contract#isFatal} says the JVM cannot survive. */
    private void failed(Throwable e, Registration r, String what) {
        lock.lock();
        try {
            callbackFailures++;
        } finally {
            lock.unlock();
        }
        if (Contract.isFatal(e)) {
            LOG.error("{} of {} threw {}; leaving the loop", what, r.describe(), e.getClass().getName());
            throw (VirtualMachineError) e;
        }
        callbackFailureLog.failed("{} of {} threw; the loop goes on", what, r.describe(), e);
    }

    // ---------------------------------------------------------------------------------------------
    // Runner hand-over and close

    private void enterLoop() {
        lock.lock();
        try {
            ensureOpen();
            if (runner != null) {
                if (runner == Thread.currentThread()) {
                    throw new IllegalStateException("the loop was run from inside one of its own callbacks");
                }
                throw new IllegalStateException("the loop is already being run by thread \"" + runner.getName() + "\"");
            }
            runner = Thread.currentThread();
        } finally {
            lock.unlock();
        }
    }

    private void exitLoop() {
        boolean finish;
        lock.lock();
        try {
            finish = closed && !closeClaimed;
            if (finish) {
                closeClaimed = true;
            }
        } finally {
            lock.unlock();
        }
        try {
            if (finish) {
                finishClose();
            }
        } finally {
            lock.lock();
            try {
                runner = null;
                runnerLeft.signalAll();
            } finally {
                lock.unlock();
            }
            if (poller.takeSwallowedInterrupt()) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes every registration out, closes the poller, then runs each outstanding free once, unlocked. */
    private void finishClose() {
        List<Registration> frees;
        lock.lock();
        try {
            frees = new ArrayList<>(pendingFrees.size() + timers.size() + handles.size());
            frees.addAll(pendingFrees);
            pendingFrees.clear();
            List<Registration> live = new ArrayList<>(timers.size() + handles.size());
            timers.valuesTo(live);
            handles.valuesTo(live);
            for (Registration r : live) {
                r.removed = true;
                if (r.free != null) {
                    frees.add(r);
                    unfreed.incrementAndGet();
                }
            }
            queue.clear();
            timers.clear();
            handles.clear();
            handleOrder.clear();
            polling = false;
            poller.close();
        } finally {
            lock.unlock();
        }
        for (Registration r : frees) {
            runFree(r);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers (the *Locked ones need the lock held)

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the event loop is closed");
        }
    }

    /** Starts the quarantine of a removed registration's id: nobody can hold it any more. */
    private void releaseIdLocked(Registration r) {
        (r instanceof TimerRegistration ? timerIds : watchIds).release(r.id);
    }

    /**
     * Queues the free of a removed registration, if it has one, and wakes a blocked runner to run it;
     * without one, queues the release of its id for the runner's next free pass.
     */
    private void queueFreeLocked(Registration r) {
        if (r.free == null) {
            pendingReleases.add(r);
            return;
        }
        pendingFrees.add(r);
        unfreed.incrementAndGet();
        wakeLocked();
    }

    /** Wakes a blocked runner if {@code expiry} is before the moment its poll would time out. */
    private void wakeForExpiryLocked(long expiry) {
        if (polling && (!pollHasDeadline || expiry - pollWakeAt < 0)) {
            wakeLocked();
        }
    }

    /** Wakes a runner that is (about to be) waiting in poll, once per poll. */
    private void wakeLocked() {
        if (!polling || wakeSent) {
            return;
        }
        try {
            poller.wake();
            wakeSent = true;
            wakeups++;
        } catch (EventLoopException e) {
            // The change itself is complete; only its promptness is lost. Report, do not undo.
            LOG.error("cannot wake the event loop", e);
        }
    }

    /** Wakes sent to the poller so far. */
    protected final long wakeups() {
        lock.lock();
        try {
            return wakeups;
        } finally {
            lock.unlock();
        }
    }

    /** Times the poller was handed a changed handle set. */
    protected final long watchChanges() {
        lock.lock();
        try {
            return watchChanges;
        } finally {
            lock.unlock();
        }
    }

    /** True while the runner is waiting in (or about to enter) the poller. */
    protected final boolean isPolling() {
        lock.lock();
        try {
            return polling;
        } finally {
            lock.unlock();
        }
    }
}
