package org.xlbridge.eventloop.testing;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.time.TimeSource;

/**
 * An {@link EventLoop} on virtual time, driven by the test, for deterministic driver tests. Nothing
 * happens on its own: {@link #advance(Duration)} moves the clock and runs what falls due,
 * {@link #runDue()} runs what is due now, and {@link #fireHandle(int, int)} says that a handle is ready.
 * Callbacks and frees run on the thread that calls those methods (the "loop thread" of this loop).
 *
 * <p>Semantics are those of the contract, on the virtual clock ({@link #nanoTime()}, starting at 0):
 * <ul>
 *   <li>A pass ({@link #runDue()}, also {@link #runOnce()}) fires every timer whose expiry is at or before
 *       now, once, in expiry order with ties in registration order, then runs pending frees. A
 *       frequency-0 timer is due at every pass; a periodic timer is re-armed at now + period when it
 *       fires. Timers added or re-based during a pass wait for the next pass.</li>
 *   <li>{@link #advance(Duration)} moves the clock step by step to each later expiry inside the window
 *       and runs a pass there, then a last pass at the end of the window, so a periodic timer fires once
 *       for each period that fits, and each step counts as one iteration for frequency-0 timers.
 *       {@code advance(Duration.ZERO)} is one pass.</li>
 *   <li>{@link #fireHandle(int, int)} delivers at once, on the calling thread, the given events
 *       intersected with what the handle watches (ERROR and HANGUP are always deliverable to a handle
 *       that watches anything, as poll(2) reports them unasked), then runs pending frees.</li>
 *   <li>{@link #run()} runs passes until {@link #stop()}, waiting without spinning for a change when
 *       nothing is due; since only {@link #advance} moves the clock, it is useful mainly for
 *       frequency-0 timers and frees.</li>
 * </ul>
 * A loop made by {@link #following(TimeSource)} instead keeps its clock up with a real one, so that
 * {@link #run()} fires timers in real time; that is how the conformance suite runs against it.
 * Only one thread drives the loop at a time; driving it from inside one of its callbacks, or from a
 * second thread while a pass runs, throws {@link IllegalStateException}.
 *
 * <p>Locking rules: one lock ({@link #lock}) guards every field below it; it is never held while a
 * callback or free runs, so another thread may update or remove registrations while a callback blocks
 * inside {@link #advance} or {@link #runDue}. {@link #changed} is signalled under it on every mutation.
 */
public final class ManualEventLoop implements EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(ManualEventLoop.class);
    private static final long NANOS_PER_MS = 1_000_000L;
    private static final Comparator<Timer> EXPIRY_ORDER = (a, b) -> {
        long d = a.expiryNanos - b.expiryNanos;
        return d < 0 ? -1 : d > 0 ? 1 : Integer.compare(a.id, b.id);
    };

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled under lock on every change, stop and runner exit. */
    private final Condition changed = lock.newCondition();

    /** The clock the virtual clock keeps up with, or null for pure virtual time. Immutable. */
    private final TimeSource followed;
    /** Guarded by lock. The virtual clock; read it through {@link #nowLocked()}. */
    private long nowNanos;
    /** Guarded by lock. Live timers by id. */
    private final Map<Integer, Timer> timers = new HashMap<>();
    /** Guarded by lock. Enabled timers not taken by a running pass, in expiry order. */
    private final NavigableSet<Timer> queue = new TreeSet<>(EXPIRY_ORDER);
    /** Guarded by lock. Live handles in id order. */
    private final TreeMap<Integer, Handle> handles = new TreeMap<>();
    /** Guarded by lock. Removed registrations whose free has not run. */
    private final ArrayDeque<Registration> pendingFrees = new ArrayDeque<>();
    /** Guarded by lock. Frees taken by a runner and not finished yet. */
    private int freesRunning;
    /** Guarded by lock. */
    private int lastTimerId;
    private int lastWatchId;
    private Thread runner;
    private boolean stopRequested;
    private boolean closed;
    private boolean closeClaimed;
    private long dispatches;
    private long callbackFailures;
    private long iterations;
    private long maxLatenessNanos;

    /** A loop whose virtual clock starts at 0. */
    public ManualEventLoop() {
        this(0L);
    }

    /** A loop whose virtual clock starts at {@code startNanos}. */
    public ManualEventLoop(long startNanos) {
        this(startNanos, null);
    }

    private ManualEventLoop(long startNanos, TimeSource followed) {
        this.nowNanos = startNanos;
        this.followed = followed;
    }

    /**
     * A loop whose virtual clock keeps up with {@code clock}: every read of the loop's time first moves
     * it forward to {@code clock}'s, and {@link #run()} waits for the next expiry by that clock instead
     * of waiting for a change. The dispatch logic is the same as on pure virtual time; this mode lets
     * the real-time conformance suite run against it. {@link #advance(Duration)} may still move the
     * virtual clock ahead; it then waits for {@code clock} to catch up.
     *
     * @throws IllegalArgumentException if {@code clock} is null
     */
    public static ManualEventLoop following(TimeSource clock) {
        if (clock == null) {
            throw new IllegalArgumentException("null clock to follow");
        }
        return new ManualEventLoop(clock.nanoTime(), clock);
    }

    // ---------------------------------------------------------------------------------------------
    // Virtual time and driving

    /** The virtual clock, in nanoseconds. */
    public long nanoTime() {
        lock.lock();
        try {
            return nowLocked();
        } finally {
            lock.unlock();
        }
    }

    /** The virtual clock as a {@link TimeSource}, to hand to the code under test. */
    public TimeSource timeSource() {
        return this::nanoTime;
    }

    /**
     * Moves the clock forward by {@code step}, stopping at each expiry inside the window to run a pass,
     * and runs a last pass at the end.
     *
     * @throws IllegalArgumentException if {@code step} is negative or null
     * @throws IllegalStateException    if closed, called from a callback, or another thread drives the loop
     */
    public void advance(Duration step) {
        if (step == null || step.isNegative()) {
            throw new IllegalArgumentException("advance needs a non-negative duration: " + step);
        }
        long stepNanos = step.toNanos();
        enter();
        try {
            long end;
            lock.lock();
            try {
                end = nowLocked() + stepNanos;
            } finally {
                lock.unlock();
            }
            while (true) {
                boolean last;
                lock.lock();
                try {
                    if (closed) {
                        return;
                    }
                    Timer next = queue.higher(probe(nowNanos));
                    if (next != null && next.expiryNanos - end < 0) {
                        nowNanos = next.expiryNanos;
                        last = false;
                    } else {
                        nowNanos = end;
                        last = true;
                    }
                } finally {
                    lock.unlock();
                }
                pass();
                if (last) {
                    return;
                }
            }
        } finally {
            exit();
        }
    }

    /** Runs one pass at the current virtual time: due timers (frequency-0 ones once), then pending frees. */
    public void runDue() {
        enter();
        try {
            pass();
        } finally {
            exit();
        }
    }

    /**
     * Says that the fd of {@code watch} is ready with {@code events}; delivers them, on the calling thread,
     * if the handle is live and watches any of them, then runs pending frees.
     *
     * @return whether the callback ran
     * @throws IllegalArgumentException for unknown event bits
     */
    public boolean fireHandle(int watch, int events) {
        HandleEvents.requireValid(events);
        enter();
        try {
            Handle h;
            int delivered;
            lock.lock();
            try {
                iterations++;
                h = handles.get(watch);
                if (h == null || h.events == 0) {
                    return false;
                }
                delivered = events & (h.events | HandleEvents.ERROR | HandleEvents.HANGUP);
                if (delivered == 0) {
                    return false;
                }
                dispatches++;
            } finally {
                lock.unlock();
            }
            try {
                h.callback.onEvent(h.id, h.fd, delivered);
            } catch (Throwable t) {
                failed(t, "handle " + h.id);
            }
            return true;
        } finally {
            runFrees();
            exit();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Queries for tests

    /** Whether {@code timer} was added and not removed. */
    public boolean isTimeoutLive(int timer) {
        lock.lock();
        try {
            return timers.containsKey(timer);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code watch} was added and not removed. */
    public boolean isHandleLive(int watch) {
        lock.lock();
        try {
            return handles.containsKey(watch);
        } finally {
            lock.unlock();
        }
    }

    /** The frequency of a live timer, or empty. */
    public OptionalInt timeoutFrequency(int timer) {
        lock.lock();
        try {
            Timer t = timers.get(timer);
            return t == null ? OptionalInt.empty() : OptionalInt.of(t.frequencyMs);
        } finally {
            lock.unlock();
        }
    }

    /** The next expiry (virtual nanos) of a live, enabled timer, or empty. */
    public OptionalLong timeoutExpiry(int timer) {
        lock.lock();
        try {
            Timer t = timers.get(timer);
            return t == null || t.frequencyMs < 0 ? OptionalLong.empty() : OptionalLong.of(t.expiryNanos);
        } finally {
            lock.unlock();
        }
    }

    /** The events a live handle watches, or empty. */
    public OptionalInt handleEvents(int watch) {
        lock.lock();
        try {
            Handle h = handles.get(watch);
            return h == null ? OptionalInt.empty() : OptionalInt.of(h.events);
        } finally {
            lock.unlock();
        }
    }

    /** The fd of a live handle, or empty. */
    public OptionalInt handleFd(int watch) {
        lock.lock();
        try {
            Handle h = handles.get(watch);
            return h == null ? OptionalInt.empty() : OptionalInt.of(h.fd);
        } finally {
            lock.unlock();
        }
    }

    /** The ids of the live timers, ascending. */
    public List<Integer> liveTimeouts() {
        lock.lock();
        try {
            List<Integer> ids = new ArrayList<>(timers.keySet());
            ids.sort(null);
            return ids;
        } finally {
            lock.unlock();
        }
    }

    /** The ids of the live handles, ascending. */
    public List<Integer> liveHandles() {
        lock.lock();
        try {
            return new ArrayList<>(handles.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** The earliest expiry among enabled timers (a frequency-0 timer counts as due now), or empty. */
    public OptionalLong nextExpiry() {
        lock.lock();
        try {
            long best = 0;
            boolean any = false;
            for (Timer t : timers.values()) {
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
    // EventLoop

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        requireFrequency(frequencyMs);
        if (cb == null) {
            throw new IllegalArgumentException("null TimeoutCallback");
        }
        lock.lock();
        try {
            ensureOpen();
            if (lastTimerId == Integer.MAX_VALUE) {
                throw new IllegalStateException("timer ids exhausted");
            }
            Timer t = new Timer(++lastTimerId, cb, ff);
            t.frequencyMs = frequencyMs;
            if (frequencyMs >= 0) {
                t.expiryNanos = nowLocked() + frequencyMs * NANOS_PER_MS;
                queue.add(t);
                t.queued = true;
            }
            timers.put(t.id, t);
            changed.signalAll();
            return t.id;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        requireFrequency(frequencyMs);
        lock.lock();
        try {
            ensureOpen();
            Timer t = timers.get(timer);
            if (t == null) {
                return;
            }
            unqueue(t);
            t.frequencyMs = frequencyMs;
            if (frequencyMs >= 0) {
                t.expiryNanos = nowLocked() + frequencyMs * NANOS_PER_MS;
                queue.add(t);
                t.queued = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean removeTimeout(int timer) {
        lock.lock();
        try {
            ensureOpen();
            Timer t = timers.remove(timer);
            if (t == null) {
                return false;
            }
            unqueue(t);
            t.removed = true;
            queueFree(t);
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

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
            if (lastWatchId == Integer.MAX_VALUE) {
                throw new IllegalStateException("watch ids exhausted");
            }
            Handle h = new Handle(++lastWatchId, fd, events, cb, ff);
            handles.put(h.id, h);
            changed.signalAll();
            return h.id;
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
            Handle h = handles.get(watch);
            if (h != null) {
                h.events = events;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean removeHandle(int watch) {
        lock.lock();
        try {
            ensureOpen();
            Handle h = handles.remove(watch);
            if (h == null) {
                return false;
            }
            h.removed = true;
            queueFree(h);
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Same as {@link #runDue()}: never blocks, virtual time does not move by itself. */
    @Override
    public void runOnce() {
        runDue();
    }

    /**
     * Runs passes at the current virtual time until {@link #stop()} (or close), waiting for a change
     * whenever nothing is due. A stop() made before run() makes it return at once; it is consumed.
     */
    @Override
    public void run() {
        enter();
        boolean interrupted = false;
        try {
            while (true) {
                lock.lock();
                try {
                    while (true) {
                        if (closed) {
                            return;
                        }
                        if (stopRequested) {
                            stopRequested = false;
                            return;
                        }
                        if (hasWorkLocked()) {
                            break;
                        }
                        interrupted |= awaitWorkLocked();
                    }
                } finally {
                    lock.unlock();
                }
                pass();
            }
        } finally {
            exit();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void stop() {
        lock.lock();
        try {
            ensureOpen();
            stopRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public EventLoopStats stats() {
        lock.lock();
        try {
            return new EventLoopStats(timers.size(), handles.size(), dispatches, callbackFailures,
                    pendingFrees.size() + freesRunning, iterations, maxLatenessNanos);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>If another thread is driving the loop, waits until it has left; that thread runs the frees.
     * From inside a callback, returns at once and the frees run when the callback returns. Otherwise
     * the frees run on the calling thread.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            changed.signalAll();
            if (runner != null) {
                if (runner == Thread.currentThread()) {
                    return;
                }
                while (runner != null) {
                    changed.awaitUninterruptibly();
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
        return "ManualEventLoop[now=" + nanoTime() + "ns, timeouts=" + s.liveTimeouts() + ", handles="
                + s.liveHandles() + ", pendingFrees=" + s.pendingFrees() + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Internals

    /** One iteration at the current time: the timers due at its start, then pending frees. */
    private void pass() {
        List<Timer> batch = new ArrayList<>();
        long now;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            iterations++;
            now = nowLocked();
            while (!queue.isEmpty() && queue.first().expiryNanos - now <= 0) {
                Timer t = queue.pollFirst();
                t.queued = false;
                batch.add(t);
            }
        } finally {
            lock.unlock();
        }
        int next = 0;
        try {
            while (next < batch.size()) {
                Timer t = batch.get(next++);
                lock.lock();
                try {
                    // Skip a timer removed, disabled or re-based (back in the queue) since the pass began.
                    if (t.removed || t.queued || t.frequencyMs < 0 || closed) {
                        if (!t.removed && !t.queued && t.frequencyMs >= 0) {
                            requeue(t);
                        }
                        continue;
                    }
                    long dispatchNanos = nowLocked();
                    long lateness = dispatchNanos - t.expiryNanos;
                    if (lateness > maxLatenessNanos) {
                        maxLatenessNanos = lateness;
                    }
                    t.expiryNanos = dispatchNanos + t.frequencyMs * NANOS_PER_MS;
                    requeue(t);
                    dispatches++;
                } finally {
                    lock.unlock();
                }
                try {
                    t.callback.onTimeout(t.id);
                } catch (Throwable e) {
                    failed(e, "timer " + t.id);
                }
            }
        } finally {
            if (next < batch.size()) {
                lock.lock();
                try {
                    for (int i = next; i < batch.size(); i++) {
                        Timer t = batch.get(i);
                        if (!t.removed && !t.queued && t.frequencyMs >= 0) {
                            requeue(t);
                        }
                    }
                } finally {
                    lock.unlock();
                }
            }
            runFrees();
        }
    }

    private void runFrees() {
        List<Registration> batch;
        lock.lock();
        try {
            if (pendingFrees.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pendingFrees);
            pendingFrees.clear();
            freesRunning += batch.size();
        } finally {
            lock.unlock();
        }
        for (Registration r : batch) {
            try {
                r.free.free();
            } catch (Throwable t) {
                failed(t, "free callback of " + r.describe());
            } finally {
                lock.lock();
                try {
                    freesRunning--;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void enter() {
        lock.lock();
        try {
            ensureOpen();
            if (runner != null) {
                if (runner == Thread.currentThread()) {
                    throw new IllegalStateException("the manual loop was driven from inside one of its callbacks");
                }
                throw new IllegalStateException("the manual loop is already driven by thread \"" + runner.getName() + "\"");
            }
            runner = Thread.currentThread();
        } finally {
            lock.unlock();
        }
    }

    private void exit() {
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
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void finishClose() {
        List<Registration> frees = new ArrayList<>();
        lock.lock();
        try {
            frees.addAll(pendingFrees);
            pendingFrees.clear();
            List<Registration> live = new ArrayList<>();
            timers.values().stream().sorted(Comparator.comparingInt(t -> t.id)).forEach(live::add);
            live.addAll(handles.values());
            for (Registration r : live) {
                r.removed = true;
                if (r.free != null) {
                    frees.add(r);
                }
            }
            timers.clear();
            queue.clear();
            handles.clear();
            freesRunning += frees.size();
        } finally {
            lock.unlock();
        }
        for (Registration r : frees) {
            try {
                r.free.free();
            } catch (Throwable t) {
                failed(t, "free callback of " + r.describe());
            } finally {
                lock.lock();
                try {
                    freesRunning--;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private boolean hasWorkLocked() {
        if (!pendingFrees.isEmpty()) {
            return true;
        }
        return !queue.isEmpty() && queue.first().expiryNanos - nowLocked() <= 0;
    }

    /** The loop's time; when following a clock, first moved forward to that clock's time. */
    private long nowLocked() {
        if (followed != null) {
            long t = followed.nanoTime();
            if (t - nowNanos > 0) {
                nowNanos = t;
            }
        }
        return nowNanos;
    }

    /**
     * Waits under lock for a change, or, when following a clock, at most until the next expiry. Like
     * {@link Condition#awaitUninterruptibly()}, it does not return for an interrupt.
     *
     * @return whether the thread was interrupted while waiting (its flag is then clear)
     */
    private boolean awaitWorkLocked() {
        if (followed == null || queue.isEmpty()) {
            changed.awaitUninterruptibly();
            return false;
        }
        long left = queue.first().expiryNanos - nowLocked();
        if (left > 0) {
            try {
                changed.awaitNanos(left);
            } catch (InterruptedException e) {
                return true;
            }
        }
        return false;
    }

    private void queueFree(Registration r) {
        if (r.free != null) {
            pendingFrees.add(r);
        }
    }

    private void unqueue(Timer t) {
        if (t.queued) {
            queue.remove(t);
            t.queued = false;
        }
    }

    private void requeue(Timer t) {
        queue.add(t);
        t.queued = true;
    }

    /** A key that sorts after every timer expiring at or before {@code nanos}. */
    private static Timer probe(long nanos) {
        Timer p = new Timer(Integer.MAX_VALUE, id -> { }, null);
        p.expiryNanos = nanos;
        return p;
    }

    private void failed(Throwable t, String what) {
        if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
            throw (VirtualMachineError) t;
        }
        LOG.warn("{} threw; the loop goes on", what, t);
        lock.lock();
        try {
            callbackFailures++;
        } finally {
            lock.unlock();
        }
    }

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

    /** A registration; its mutable fields are guarded by the loop lock. */
    private abstract static class Registration {
        final int id;
        final FreeCallback free;
        boolean removed;

        Registration(int id, FreeCallback free) {
            this.id = id;
            this.free = free;
        }

        abstract String describe();
    }

    private static final class Timer extends Registration {
        final TimeoutCallback callback;
        int frequencyMs;
        long expiryNanos;
        boolean queued;

        Timer(int id, TimeoutCallback callback, FreeCallback free) {
            super(id, free);
            this.callback = callback;
        }

        @Override
        String describe() {
            return "timer " + id;
        }
    }

    private static final class Handle extends Registration {
        final int fd;
        final HandleCallback callback;
        int events;

        Handle(int id, int fd, int events, HandleCallback callback, FreeCallback free) {
            super(id, free);
            this.fd = fd;
            this.events = events;
            this.callback = callback;
        }

        @Override
        String describe() {
            return "handle " + id + " (fd " + fd + ")";
        }
    }
}
