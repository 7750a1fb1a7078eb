package org.xlbridge.eventloop.poll;

import com.sun.jna.LastErrorException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.Wakeup;
import org.xlbridge.time.TimeSource;

/**
 * The embedded {@link EventLoop}: ppoll(2) on raw fds through JNA, an eventfd (or pipe) to wake a blocked
 * poll, and timers in an indexed min-heap (O(log n) add, update and remove; O(1) lookup by id). Needs
 * no libvirt. See {@code docs/eventloop.md} for the design.
 *
 * <p>One iteration ({@link #runOnce()}): run pending frees; rebuild the pollfd array if the handle set
 * changed; ppoll(2) with a timeout of (earliest expiry - now) in nanoseconds; dispatch the timers that were
 * due when dispatching began, in expiry order (ties in registration order); dispatch the ready handles
 * in registration order; run pending frees. A timer is dispatched only when the clock has reached its
 * expiry, so it never fires early; its next expiry is its dispatch time plus its period. A timer added
 * or re-based during a dispatch pass waits for the next pass.
 *
 * <p>Locking rules. One loop lock ({@link #lock}) guards all registration state: the heap, the id maps,
 * the handle list, the free queue, the counters and the run/poll/close flags. It is never held while a
 * {@link TimeoutCallback}, {@link HandleCallback} or {@link FreeCallback} runs, nor during poll(2).
 * The wakeup write happens with the lock held, so that {@link #close()} can never close the fd under a
 * writer; it is rare (at most one write per blocked poll). State marked "runner-confined" is touched
 * only by the thread currently running the loop; the runner changes hands only through
 * {@link #enterLoop()} / {@link #exitLoop()}, which take the lock, so each runner sees the previous
 * one's writes.
 */
public final class PollEventLoop implements EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(PollEventLoop.class);
    private static final long NANOS_PER_MS = 1_000_000L;

    private final TimeSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled (under {@link #lock}) when the runner leaves the loop. */
    private final Condition runnerLeft = lock.newCondition();

    /** Guarded by lock. Enabled timers; disabled ones and those in a dispatch batch are not in it. */
    private final TimerHeap heap = new TimerHeap();
    /** Guarded by lock. Live (not removed) timers by id. */
    private final IdTable<TimerNode> timers = new IdTable<>();
    /** Guarded by lock. Live handles by id. */
    private final IdTable<HandleNode> handles = new IdTable<>();
    /** Guarded by lock. Live handles in registration order: the poll and dispatch order. */
    private final ArrayList<HandleNode> handleOrder = new ArrayList<>();
    /** Guarded by lock. Removed registrations whose free callback has not been taken for running yet. */
    private final ArrayDeque<Registration> pendingFrees = new ArrayDeque<>();
    /** Removed registrations whose free has not finished (queued or running). Atomic: decremented unlocked. */
    private final AtomicInteger unfreed = new AtomicInteger();

    /** Guarded by lock. The last ids handed out. */
    private int lastTimerId;
    private int lastWatchId;
    /** Guarded by lock. The handle set or an events mask changed since the pollfd array was built. */
    private boolean handlesChanged = true;
    /** Guarded by lock. The thread running the loop (inside run/runOnce), or null. */
    private Thread runner;
    /** Guarded by lock. True from the moment the runner has chosen its poll timeout until poll returns. */
    private boolean polling;
    /** Guarded by lock. When the current poll will time out (clock nanos); valid if pollHasDeadline. */
    private long pollWakeAt;
    private boolean pollHasDeadline;
    /** Guarded by lock. A wakeup was written and not yet drained: later changes need not write again. */
    private boolean wakeupPending;
    /** Guarded by lock. stop() was called and no run()/runOnce() has returned for it yet. */
    private boolean stopRequested;
    /** Guarded by lock. close() was called. */
    private boolean closed;
    /** Guarded by lock. The close work (frees, fds) has been claimed by a thread. */
    private boolean closeClaimed;

    /** Guarded by lock. Counters. */
    private long dispatches;
    private long callbackFailures;
    private long iterations;
    private long maxLatenessNanos;
    private long latenessTotalNanos;
    private long latenessSamples;
    private long wakeupWrites;
    private long pollSetRebuilds;

    /** Guarded by lock for signal/close; drained by the runner. */
    private final Wakeup wakeup;

    /** Runner-confined (and built under lock). The pollfd array: slot 0 is the wakeup fd. */
    private final PollFds pollFds;
    /** Runner-confined. polledHandles[i] is the handle in pollfd slot i (slot 0 unused). */
    private HandleNode[] polledHandles = new HandleNode[8];
    /** Runner-confined. Entries in use in the pollfd array. */
    private int polledCount;
    /** Runner-confined. The timers taken for the current dispatch pass. */
    private TimerNode[] dueBatch = new TimerNode[16];
    /** Runner-confined. The frees taken for running. */
    private final ArrayList<Registration> freeBatch = new ArrayList<>();

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
        this.clock = Objects.requireNonNull(clock, "clock");
        this.wakeup = Wakeup.open(EventLoopException::new);
        this.pollFds = new PollFds(8);
    }

    // ---------------------------------------------------------------------------------------------
    // Timers

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        requireFrequency(frequencyMs);
        if (cb == null) {
            throw new IllegalArgumentException("null TimeoutCallback");
        }
        long now = frequencyMs >= 0 ? clock.nanoTime() : 0;
        lock.lock();
        try {
            ensureOpen();
            int id = nextTimerId();
            TimerNode node = new TimerNode(id, cb, ff);
            node.frequencyMs = frequencyMs;
            if (frequencyMs >= 0) {
                node.expiryNanos = now + frequencyMs * NANOS_PER_MS;
                heap.add(node);
            }
            timers.put(id, node);
            if (frequencyMs >= 0) {
                wakeForExpiryLocked(node.expiryNanos);
            }
            return id;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        requireFrequency(frequencyMs);
        long now = frequencyMs >= 0 ? clock.nanoTime() : 0;
        lock.lock();
        try {
            ensureOpen();
            TimerNode node = timers.get(timer);
            if (node == null) {
                return;
            }
            node.frequencyMs = frequencyMs;
            if (frequencyMs < 0) {
                if (node.heapIndex >= 0) {
                    heap.remove(node);
                }
                return;
            }
            long expiry = now + frequencyMs * NANOS_PER_MS;
            node.expiryNanos = expiry;
            if (node.heapIndex >= 0) {
                heap.changed(node);
            } else {
                heap.add(node);
            }
            wakeForExpiryLocked(expiry);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean removeTimeout(int timer) {
        lock.lock();
        try {
            ensureOpen();
            TimerNode node = timers.remove(timer);
            if (node == null) {
                return false;
            }
            node.removed = true;
            if (node.heapIndex >= 0) {
                heap.remove(node);
            }
            queueFreeLocked(node);
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Handles

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        if (fd < 0) {
            throw new IllegalArgumentException("negative fd: " + fd);
        }
        HandleEvents.requireValid(events);
        if (cb == null) {
            throw new IllegalArgumentException("null HandleCallback");
        }
        lock.lock();
        try {
            ensureOpen();
            int id = nextWatchId();
            HandleNode node = new HandleNode(id, fd, events, cb, ff);
            handles.put(id, node);
            handleOrder.add(node);
            handlesChanged = true;
            wakeLocked();
            return id;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void updateHandle(int watch, int events) {
        HandleEvents.requireValid(events);
        lock.lock();
        try {
            ensureOpen();
            HandleNode node = handles.get(watch);
            if (node == null || node.events == events) {
                return;
            }
            node.events = events;
            handlesChanged = true;
            wakeLocked();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean removeHandle(int watch) {
        lock.lock();
        try {
            ensureOpen();
            HandleNode node = handles.remove(watch);
            if (node == null) {
                return false;
            }
            node.removed = true;
            handleOrder.remove(node);
            handlesChanged = true;
            queueFreeLocked(node);
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
     * <p>Returns without blocking when {@link #stop()} was called since the last run()/runOnce()
     * returned (and consumes that request).
     *
     * @throws IllegalStateException when closed, when called from one of this loop's callbacks, or
     *                               while another thread runs the loop
     * @throws EventLoopException    if poll(2) fails
     */
    @Override
    public void runOnce() {
        enterLoop();
        try {
            iterate();
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
     * <p>Returns at once if {@link #stop()} was called since the last run()/runOnce() returned; a stop
     * request is consumed by the run()/runOnce() that returns for it. Also returns when the loop is
     * closed.
     *
     * @throws IllegalStateException when closed, when called from one of this loop's callbacks, or
     *                               while another thread runs the loop
     * @throws EventLoopException    if poll(2) fails
     */
    @Override
    public void run() {
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
                iterate();
            }
        } finally {
            exitLoop();
        }
    }

    /** {@inheritDoc} @throws IllegalStateException when closed */
    @Override
    public void stop() {
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
    public EventLoopStats stats() {
        lock.lock();
        try {
            return new EventLoopStats(timers.size(), handles.size(), dispatches, callbackFailures,
                    unfreed.get(), iterations, maxLatenessNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Timer dispatches whose lateness was measured (for a mean with {@link #latenessTotalNanos()}). */
    public long latenessSamples() {
        lock.lock();
        try {
            return latenessSamples;
        } finally {
            lock.unlock();
        }
    }

    /** The sum of all measured lateness (dispatch time minus expiry), in nanoseconds. */
    public long latenessTotalNanos() {
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
    public void close() {
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
        return "PollEventLoop[timeouts=" + s.liveTimeouts() + ", handles=" + s.liveHandles()
                + ", pendingFrees=" + s.pendingFrees() + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Package-private views for tests

    /** Wakeup writes made so far. */
    long wakeupWrites() {
        lock.lock();
        try {
            return wakeupWrites;
        } finally {
            lock.unlock();
        }
    }

    /** Times the pollfd array was rebuilt because the handle set changed. */
    long pollSetRebuilds() {
        lock.lock();
        try {
            return pollSetRebuilds;
        } finally {
            lock.unlock();
        }
    }

    /** The native pollfd array (its identity never changes; its capacity grows only). */
    PollFds pollFds() {
        return pollFds;
    }

    /** True while the runner is blocked in (or about to enter) poll(2). */
    boolean isPolling() {
        lock.lock();
        try {
            return polling;
        } finally {
            lock.unlock();
        }
    }

    /** The poll timeout the next iteration would use, by the clock as it reads now. */
    long nextPollTimeoutNanos() {
        long now = clock.nanoTime();
        lock.lock();
        try {
            return pollTimeoutLocked(now);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The iteration

    private void iterate() {
        // Frees run here are this iteration's work: poll must not then block as if nothing happened.
        boolean freed = runPendingFrees();
        int count;
        long timeoutNanos;
        long now = clock.nanoTime();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (handlesChanged) {
                rebuildPollSetLocked();
                handlesChanged = false;
            }
            count = polledCount;
            timeoutNanos = freed ? 0 : pollTimeoutLocked(now);
            pollHasDeadline = timeoutNanos >= 0;
            pollWakeAt = now + timeoutNanos;
            polling = true;
        } finally {
            lock.unlock();
        }
        int ready;
        try {
            ready = pollFds.pollNanos(count, timeoutNanos);
        } catch (LastErrorException e) {
            lock.lock();
            try {
                polling = false;
            } finally {
                lock.unlock();
            }
            throw new EventLoopException("ppoll(2) on " + count + " fds failed with errno " + e.getErrorCode(), e);
        }
        boolean woken = ready > 0 && pollFds.revents(0) != 0;
        if (woken) {
            // Drain before clearing the flag: until then no writer writes again (the flag is set), and
            // after it the runner is not polling, so no writer writes either.
            wakeup.drain();
        }
        lock.lock();
        try {
            polling = false;
            if (woken) {
                wakeupPending = false;
            }
            iterations++;
        } finally {
            lock.unlock();
        }
        dispatchTimers();
        if (ready > (woken ? 1 : 0)) {
            dispatchHandles(count);
        }
        runPendingFrees();
    }

    /**
     * The time left to the earliest expiry, in nanoseconds (ppoll's resolution: a millisecond timeout
     * would make a timer late by up to a millisecond, half of one on average); 0 when a timer is due or
     * there is other work (a stop, a close or frees waiting); -1 (block) when nothing is pending.
     */
    private long pollTimeoutLocked(long now) {
        if (stopRequested || closed || !pendingFrees.isEmpty()) {
            return 0;
        }
        if (heap.isEmpty()) {
            return -1;
        }
        long remaining = heap.peekExpiry() - now;
        return remaining <= 0 ? 0 : remaining;
    }

    private void rebuildPollSetLocked() {
        int n = 1 + handleOrder.size();
        pollFds.ensureCapacity(n);
        if (polledHandles.length < n) {
            polledHandles = new HandleNode[Math.max(n, polledHandles.length * 2)];
        }
        pollFds.set(0, wakeup.pollFd(), Posix.POLLIN);
        int slot = 1;
        for (int i = 0; i < handleOrder.size(); i++) {
            HandleNode h = handleOrder.get(i);
            if (h.events == 0) {
                continue; // registered but not watched
            }
            pollFds.set(slot, h.fd, toPollBits(h.events));
            polledHandles[slot] = h;
            slot++;
        }
        for (int i = slot; i < polledCount; i++) {
            polledHandles[i] = null;
        }
        polledCount = slot;
        pollSetRebuilds++;
    }

    private void dispatchTimers() {
        int batchSize = 0;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            long now = clock.nanoTime();
            while (!heap.isEmpty() && heap.peekExpiry() - now <= 0) {
                if (batchSize == dueBatch.length) {
                    dueBatch = Arrays.copyOf(dueBatch, batchSize * 2);
                }
                dueBatch[batchSize++] = heap.poll();
            }
        } finally {
            lock.unlock();
        }
        int next = 0;
        try {
            while (next < batchSize) {
                TimerNode node = dueBatch[next];
                dueBatch[next] = null;
                next++;
                if (!claimTimerDispatch(node)) {
                    continue;
                }
                invokeTimer(node);
            }
        } finally {
            if (next < batchSize) {
                putBackUndispatched(next, batchSize);
            }
        }
    }

    /**
     * Decides, under the lock, whether a timer taken for this pass still fires: not removed, still
     * enabled, not re-based since (a re-based timer is back in the heap), not closed, and due by the
     * clock now. If so re-arms it at dispatch time + period and counts the dispatch and lateness.
     */
    private boolean claimTimerDispatch(TimerNode node) {
        lock.lock();
        try {
            if (node.removed || node.heapIndex >= 0 || node.frequencyMs < 0) {
                return false;
            }
            if (closed) {
                heap.add(node);
                return false;
            }
            long now = clock.nanoTime();
            long lateness = now - node.expiryNanos;
            if (lateness < 0) {
                heap.add(node); // the clock went backwards: never fire early
                return false;
            }
            if (lateness > maxLatenessNanos) {
                maxLatenessNanos = lateness;
            }
            latenessTotalNanos += lateness;
            latenessSamples++;
            node.expiryNanos = now + node.frequencyMs * NANOS_PER_MS;
            heap.add(node);
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
                TimerNode node = dueBatch[i];
                dueBatch[i] = null;
                if (!node.removed && node.heapIndex < 0 && node.frequencyMs >= 0) {
                    heap.add(node);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void invokeTimer(TimerNode node) {
        try {
            node.callback.onTimeout(node.id);
        } catch (Throwable t) {
            rethrowIfFatal(t);
            LOG.warn("timer {} callback threw; the loop goes on", node.id, t);
            countFailure();
        }
    }

    private void dispatchHandles(int count) {
        for (int slot = 1; slot < count; slot++) {
            int revents = pollFds.revents(slot);
            if (revents == 0) {
                continue;
            }
            HandleNode node = polledHandles[slot];
            int events;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                if (node.removed || node.events == 0) {
                    continue;
                }
                events = fromPollBits(revents) & (node.events | HandleEvents.ERROR | HandleEvents.HANGUP);
                if (events == 0) {
                    continue;
                }
                dispatches++;
            } finally {
                lock.unlock();
            }
            try {
                node.callback.onEvent(node.id, node.fd, events);
            } catch (Throwable t) {
                rethrowIfFatal(t);
                LOG.warn("handle {} (fd {}) callback threw; the loop goes on", node.id, node.fd, t);
                countFailure();
            }
        }
    }

    /** Runs the queued frees; returns whether there were any. */
    private boolean runPendingFrees() {
        lock.lock();
        try {
            if (pendingFrees.isEmpty()) {
                return false;
            }
            freeBatch.addAll(pendingFrees);
            pendingFrees.clear();
        } finally {
            lock.unlock();
        }
        try {
            for (int i = 0; i < freeBatch.size(); i++) {
                Registration r = freeBatch.get(i);
                freeBatch.set(i, null);
                try {
                    runFree(r);
                } finally {
                    unfreed.decrementAndGet();
                }
            }
        } finally {
            // Anything not run (a fatal error escaped) goes back to the queue, in order.
            lock.lock();
            try {
                for (int i = freeBatch.size() - 1; i >= 0; i--) {
                    Registration r = freeBatch.get(i);
                    if (r != null) {
                        pendingFrees.addFirst(r);
                    }
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
        } catch (Throwable t) {
            rethrowIfFatal(t);
            LOG.warn("free callback of {} {} threw", r.kind(), r.id, t);
            countFailure();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Runner hand-over and close

    private void enterLoop() {
        lock.lock();
        try {
            ensureOpen();
            if (runner != null) {
                if (runner == Thread.currentThread()) {
                    throw new IllegalStateException("run()/runOnce() called from inside a callback of this loop");
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
        }
    }

    /** Takes every registration out, closes the fds, then runs each outstanding free once, unlocked. */
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
            heap.clear();
            timers.clear();
            handles.clear();
            handleOrder.clear();
            polledCount = 0;
            Arrays.fill(polledHandles, null);
            polling = false;
            wakeup.close();
            pollFds.close();
        } finally {
            lock.unlock();
        }
        for (Registration r : frees) {
            try {
                runFree(r);
            } finally {
                unfreed.decrementAndGet();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers (the *Locked ones need the lock held)

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the event loop is closed");
        }
    }

    private static void requireFrequency(int frequencyMs) {
        if (frequencyMs < -1) {
            throw new IllegalArgumentException("frequencyMs must be -1 (disabled), 0 or positive: " + frequencyMs);
        }
    }

    private int nextTimerId() {
        if (lastTimerId == Integer.MAX_VALUE) {
            throw new IllegalStateException("timer ids exhausted: this loop has handed out every positive int");
        }
        return ++lastTimerId;
    }

    private int nextWatchId() {
        if (lastWatchId == Integer.MAX_VALUE) {
            throw new IllegalStateException("watch ids exhausted: this loop has handed out every positive int");
        }
        return ++lastWatchId;
    }

    /** Queues the free of a removed registration, if it has one, and wakes a blocked runner to run it. */
    private void queueFreeLocked(Registration r) {
        if (r.free == null) {
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

    /** Writes the wakeup fd if a runner is (about to be) blocked in poll and no wakeup is pending yet. */
    private void wakeLocked() {
        if (!polling || wakeupPending) {
            return;
        }
        try {
            wakeup.signal();
            wakeupPending = true;
            wakeupWrites++;
        } catch (EventLoopException e) {
            // The change itself is complete; only its promptness is lost. Report, do not undo.
            LOG.error("cannot wake the event loop", e);
        }
    }

    private void countFailure() {
        lock.lock();
        try {
            callbackFailures++;
        } finally {
            lock.unlock();
        }
    }

    private static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
            throw (VirtualMachineError) t;
        }
    }

    static int toPollBits(int events) {
        int bits = 0;
        if ((events & HandleEvents.READABLE) != 0) {
            bits |= Posix.POLLIN;
        }
        if ((events & HandleEvents.WRITABLE) != 0) {
            bits |= Posix.POLLOUT;
        }
        // POLLERR, POLLHUP and POLLNVAL are always reported; they need not be asked for.
        return bits;
    }

    static int fromPollBits(int revents) {
        int events = 0;
        if ((revents & Posix.POLLIN) != 0) {
            events |= HandleEvents.READABLE;
        }
        if ((revents & Posix.POLLOUT) != 0) {
            events |= HandleEvents.WRITABLE;
        }
        if ((revents & (Posix.POLLERR | Posix.POLLNVAL)) != 0) {
            events |= HandleEvents.ERROR;
        }
        if ((revents & Posix.POLLHUP) != 0) {
            events |= HandleEvents.HANGUP;
        }
        return events;
    }
}
