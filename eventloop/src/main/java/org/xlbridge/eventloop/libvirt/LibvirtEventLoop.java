package org.xlbridge.eventloop.libvirt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
import org.xlbridge.eventloop.core.Contract;
import org.xlbridge.ids.IdAllocator;
import org.xlbridge.time.Millis;
import org.xlbridge.time.TimeSource;

/**
 * libvirt's own default event loop ({@code virEventRegisterDefaultImpl} / {@code virEventRunDefaultImpl},
 * GLib-based in libvirt 9) as an xlbridge {@link EventLoop}, through JNA on {@code libvirt.so.0}
 * (Debian package {@code libvirt0}). See {@code docs/libvirt-loop.md}.
 *
 * <p>libvirt's loop exists once per process and cannot be unregistered. An instance is a handle on it:
 * it registers libvirt's implementation on first use (once per process), tracks the timers and handles
 * added through it, and {@link #close()} removes only those, runs their frees and stops its runner; a
 * later instance works in the same process.
 *
 * <p>Ids: this loop hands out its own ids, from two {@link IdAllocator}s (they wrap to 1 and skip ids live
 * or recently freed, as the core's do), and maps them to libvirt's. libvirt 9's GLib loop counts its ids
 * in a process-wide {@code int} that only goes up ({@code nexttimer++}, {@code nextwatch++} in
 * {@code vireventglib.c}): it never reuses one, never wraps on purpose, and after 2^31 - 1 adds in one
 * process the signed counter overflows and it answers negative ids, which this loop reports as a failed
 * add ({@link EventLoopException}). That horizon is libvirt's, per process, and is listed in
 * {@code docs/reliability.md}; ours wraps safely. An id is released after the registration's free ran (or,
 * without a free, once no callback of it runs).
 *
 * <p>Sharing the loop: one thread at a time iterates libvirt's loop. {@link #run()} and {@link #runOnce()}
 * of any instance take a process-wide turn for each iteration, and an iteration dispatches the callbacks
 * of every instance, as libvirt's process-wide loop does: with two instances, either runner may run the
 * other's callbacks. Frees run on the thread holding the turn (or in {@link #close()}).
 *
 * <p>Owning the turning: xlbridge must be the only one to iterate libvirt's default loop. An application
 * that also runs libvirt-java's {@code Library.runEventLoop()} would have two threads running each other's
 * callbacks; when an xlbridge callback is dispatched on such a foreign thread it is not run there, and
 * from then on run() and runOnce() of every instance throw an {@link IllegalStateException} naming that
 * thread. The replacement for {@code Library.initEventLoop()}/{@code runEventLoop()}/{@code stopEventLoop()}
 * is {@code new LibvirtEventLoop()}, {@link #run()} and {@link #stop()} (see {@code docs/libvirt-clients.md}).
 *
 * <p>What this class adds to libvirt's loop, to honour the contract:
 * <ul>
 *   <li>Never early: GLib re-arms a periodic timer from the time it checked the sources, slightly before
 *       the callback runs, and rounds to microseconds; this class records each timer's expiry on its own
 *       clock (now + N at add, update and dispatch) and, if libvirt fires before it, re-arms libvirt's
 *       timer for the remainder instead of calling back (counted by {@link #earlyDispatches()}).</li>
 *   <li>Frees: the caller's {@link FreeCallback} runs exactly once, on the loop thread between native
 *       iterations, never while a callback of that registration runs; libvirt's own free callback only
 *       releases the JNA routing entry (see {@link ProcessLoop#drainFrees()} for why).</li>
 *   <li>Closed fds: libvirt 9 never reports POLLNVAL for a watched fd that was closed (and spins);
 *       after a run of empty iterations the loop polls the live handles itself and reports ERROR for a
 *       closed fd, as poll(2) loops do (see {@link ProcessLoop}).</li>
 *   <li>Argument checks before any native call; update/remove of an id this instance does not own
 *       never reaches libvirt.</li>
 * </ul>
 *
 * <p>Locking rules. {@link #lock} guards all per-instance state: the registration maps, the owed frees,
 * the counters, the runner, and every mutable field of this instance's {@link Registration}s. It is held
 * across the add/update/remove calls into libvirt (so that libvirt's state and ours change together, and
 * nothing half-registers), never while a caller's callback or free runs, and never together with
 * {@link ProcessLoop}'s turn lock. libvirt holds none of its locks while it calls back into Java, so
 * calling into libvirt with {@link #lock} held cannot deadlock against a dispatch. {@link #stopRequested}
 * and {@link #closed} are written under {@link #lock} and volatile, so that a runner waiting for the turn
 * can read them without it.
 */
public final class LibvirtEventLoop implements EventLoop, IdWraps {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtEventLoop.class);
    /** Callback failures: the first ten in full, then thinned out (a callback may throw millions of times). */
    private final RepeatedFailureLog callbackFailureLog = new RepeatedFailureLog(LOG, 10);
    private static final long NANOS_PER_MS = 1_000_000L;

    private final TimeSource clock;
    private final ProcessLoop processLoop;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled (under lock) when a callback returns, a free finishes or the runner leaves. */
    private final Condition settled = lock.newCondition();

    /** Guarded by lock. This loop's ids (the test-and-soak seam of {@link IdAllocator#configured}). */
    private final IdAllocator timerIds = IdAllocator.configured("timer");
    private final IdAllocator watchIds = IdAllocator.configured("watch");
    /** Guarded by lock. Live timers by id. */
    private final HashMap<Integer, TimerRegistration> timers = new HashMap<>();
    /** Guarded by lock. Live handles by id. */
    private final HashMap<Integer, HandleRegistration> handles = new HashMap<>();
    /** Guarded by lock. Removed registrations with a FreeCallback that no thread has claimed yet. */
    private final Set<Registration> freesOwed = new HashSet<>();
    /** Guarded by lock. Removed registrations with a FreeCallback that has not finished running. */
    private int unfreed;

    /** Guarded by lock. Counters. */
    private long dispatches;
    private long callbackFailures;
    private long iterations;
    private long maxLatenessNanos;
    private long earlyDispatches;

    /** Guarded by lock. The thread inside this instance's run()/runOnce(), or null. */
    private Thread runner;
    /** Written under lock. stop() was called and no run()/runOnce() has returned for it yet. */
    private volatile boolean stopRequested;
    /** Written under lock. close() was called. */
    private volatile boolean closed;

    /**
     * A handle on libvirt's process-wide default loop, registering it on first use.
     *
     * @throws EventLoopException if libvirt.so.0 is missing (naming the Debian package libvirt0) or
     *                            libvirt refuses to register its default implementation
     */
    public LibvirtEventLoop() {
        this(TimeSource.SYSTEM);
    }

    /**
     * A loop that judges expiries on {@code clock}. libvirt's timers run on the system monotonic clock,
     * so anything else is for tests that need to provoke an early native fire.
     */
    LibvirtEventLoop(TimeSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.processLoop = ProcessLoop.get();
    }

    /** Whether libvirt.so.0 loads and binds in this process. Never throws. */
    public static boolean isAvailable() {
        try {
            return LibvirtNative.isLoaded();
        } catch (Throwable t) { // the binding class itself failed to initialise
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Timers

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        Contract.requireTimeout(frequencyMs, cb);
        lock.lock();
        try {
            ensureOpen();
            TimerRegistration reg = new TimerRegistration(this, CallbackRouter.newKey(), cb, ff);
            CallbackRouter.register(reg);
            long now = clock.nanoTime();
            int nativeId = LibvirtNative.virEventAddTimeout(frequencyMs, CallbackRouter.TIMEOUT, reg.opaque(),
                    CallbackRouter.FREE);
            if (nativeId <= 0) {
                CallbackRouter.forget(reg);
                throw new EventLoopException("virEventAddTimeout(" + frequencyMs + " ms) failed (libvirt answered "
                        + nativeId + "): " + LibvirtNative.lastErrorMessage());
            }
            int id = timerIds.allocate();
            reg.id = id;
            reg.nativeId = nativeId;
            armLocked(reg, frequencyMs, now);
            timers.put(id, reg);
            return id;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        Contract.requireFrequency(frequencyMs);
        lock.lock();
        try {
            ensureOpen();
            TimerRegistration reg = timers.get(timer);
            if (reg == null) {
                return;
            }
            armLocked(reg, frequencyMs, clock.nanoTime());
            LibvirtNative.virEventUpdateTimeout(reg.nativeId, frequencyMs);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws EventLoopException if libvirt no longer knows the timer (removed behind this loop's back);
     *                            the timer is gone from this loop all the same and its free is queued
     */
    @Override
    public boolean removeTimeout(int timer) {
        lock.lock();
        try {
            ensureOpen();
            TimerRegistration reg = timers.remove(timer);
            if (reg == null) {
                return false;
            }
            int rc = LibvirtNative.virEventRemoveTimeout(reg.nativeId);
            retireLocked(reg, rc, true);
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Handles

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        Contract.requireHandle(fd, events, cb);
        lock.lock();
        try {
            ensureOpen();
            HandleRegistration reg = new HandleRegistration(this, CallbackRouter.newKey(), fd, events, cb, ff);
            CallbackRouter.register(reg);
            // HandleEvents bits are libvirt's VIR_EVENT_HANDLE_* values: no translation.
            int nativeId = LibvirtNative.virEventAddHandle(fd, events, CallbackRouter.HANDLE, reg.opaque(),
                    CallbackRouter.FREE);
            if (nativeId <= 0) {
                CallbackRouter.forget(reg);
                throw new EventLoopException("virEventAddHandle(fd " + fd + ", " + HandleEvents.toString(events)
                        + ") failed (libvirt answered " + nativeId + "): " + LibvirtNative.lastErrorMessage());
            }
            int id = watchIds.allocate();
            reg.id = id;
            reg.nativeId = nativeId;
            handles.put(id, reg);
            processLoop.handleAdded(reg);
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
            HandleRegistration reg = handles.get(watch);
            if (reg == null || reg.events == events) {
                return;
            }
            reg.events = events;
            LibvirtNative.virEventUpdateHandle(reg.nativeId, events);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws EventLoopException if libvirt no longer knows the watch (removed behind this loop's back);
     *                            the handle is gone from this loop all the same and its free is queued
     */
    @Override
    public boolean removeHandle(int watch) {
        lock.lock();
        try {
            ensureOpen();
            HandleRegistration reg = handles.remove(watch);
            if (reg == null) {
                return false;
            }
            int rc = LibvirtNative.virEventRemoveHandle(reg.nativeId);
            retireLocked(reg, rc, true);
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
     * <p>Waits for the process-wide turn if another instance's runner is iterating, then runs one
     * iteration of libvirt's loop, which dispatches the callbacks of every instance. With a stop pending
     * the iteration does not block (the private wake timer is armed first) and the stop is consumed; if
     * another instance's runner holds the turn then, it returns without iterating (that runner is
     * dispatching this instance's callbacks anyway).
     *
     * @throws IllegalStateException when closed, when called from a callback or free of any
     *                               LibvirtEventLoop, while another thread runs this instance, or once a
     *                               thread outside xlbridge was seen running libvirt's default loop
     * @throws EventLoopException    if virEventRunDefaultImpl fails
     */
    @Override
    public void runOnce() {
        enterRunner();
        try {
            boolean iterated = processLoop.iterate(this);
            lock.lock();
            try {
                if (iterated) {
                    iterations++;
                }
                stopRequested = false;
            } finally {
                lock.unlock();
            }
        } finally {
            exitRunner();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Iterates libvirt's loop (taking the process-wide turn for each iteration) until {@link #stop()}
     * or {@link #close()}. Returns at once if stop() was called since the last run()/runOnce() returned;
     * a stop request is consumed by the run()/runOnce() that returns for it.
     *
     * @throws IllegalStateException when closed, when called from a callback or free of any
     *                               LibvirtEventLoop, while another thread runs this instance, or once a
     *                               thread outside xlbridge was seen running libvirt's default loop
     * @throws EventLoopException    if virEventRunDefaultImpl fails
     */
    @Override
    public void run() {
        enterRunner();
        try {
            while (!closed && !consumeStop()) {
                if (processLoop.iterate(this)) {
                    lock.lock();
                    try {
                        iterations++;
                    } finally {
                        lock.unlock();
                    }
                }
            }
        } finally {
            exitRunner();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>If this instance's runner is inside libvirt's iteration, a private wake timer makes that
     * iteration return; if it waits for the turn, it is woken. A stop with no runner is kept for the
     * next run()/runOnce().
     *
     * @throws IllegalStateException when closed
     */
    @Override
    public void stop() {
        lock.lock();
        try {
            ensureOpen();
            stopRequested = true;
        } finally {
            lock.unlock();
        }
        processLoop.nudge(this);
    }

    @Override
    public EventLoopStats stats() {
        lock.lock();
        try {
            return new EventLoopStats(timers.size(), handles.size(), dispatches, callbackFailures, unfreed,
                    iterations, maxLatenessNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Times libvirt fired a timer before the expiry this loop recorded, and the timer was re-armed. */
    public long earlyDispatches() {
        lock.lock();
        try {
            return earlyDispatches;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Removes this instance's registrations from libvirt (other instances' stay), stops its runner
     * and runs every outstanding free exactly once: on the calling thread, except the free of a
     * registration whose callback is running at that moment, which the loop thread runs as soon as that
     * callback returns. Unless called from the loop thread itself, close() returns only when every free
     * has run and this instance's runner has left run()/runOnce(). libvirt's default implementation stays
     * registered. A second close() returns at once.
     */
    @Override
    public void close() {
        Thread me = Thread.currentThread();
        List<Registration> toFree = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            stopRequested = true;
            for (TimerRegistration reg : timers.values()) {
                retireLocked(reg, LibvirtNative.virEventRemoveTimeout(reg.nativeId), false);
            }
            timers.clear();
            for (HandleRegistration reg : handles.values()) {
                retireLocked(reg, LibvirtNative.virEventRemoveHandle(reg.nativeId), false);
            }
            handles.clear();
            for (Registration reg : new ArrayList<>(freesOwed)) {
                if (reg.inCallback) {
                    reg.freeAfterCallback = true;
                } else if (claimFreeLocked(reg)) {
                    toFree.add(reg);
                }
            }
        } finally {
            lock.unlock();
        }
        processLoop.nudge(this);
        for (Registration reg : toFree) {
            runClaimedFree(reg);
        }
        boolean onLoopThread = processLoop.isIteratingThread(me);
        lock.lock();
        try {
            while ((!onLoopThread && unfreed > 0) || (runner != null && runner != me)) {
                settled.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        EventLoopStats s = stats();
        return "LibvirtEventLoop[timeouts=" + s.liveTimeouts() + ", handles=" + s.liveHandles()
                + ", pendingFrees=" + s.pendingFrees() + (closed ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Dispatch: called by CallbackRouter on the thread iterating libvirt's loop

    /**
     * libvirt fired {@code reg}'s timeout. Calls back only if the timer is still live, enabled and due
     * by this loop's clock; a fire before the recorded expiry re-arms libvirt's timer for the remainder.
     */
    void dispatchTimer(TimerRegistration reg) {
        long now = clock.nanoTime();
        lock.lock();
        try {
            if (reg.removed || closed || reg.frequencyMs < 0) {
                return; // a dispatch libvirt had already chosen when the timer was removed or disabled
            }
            long early = reg.expiryNanos - now;
            if (early > 0) {
                int remainingMs = Millis.ceil(early);
                reg.armedMs = remainingMs;
                earlyDispatches++;
                LibvirtNative.virEventUpdateTimeout(reg.nativeId, remainingMs);
                return;
            }
            if (-early > maxLatenessNanos) {
                maxLatenessNanos = -early;
            }
            reg.expiryNanos = now + reg.frequencyMs * NANOS_PER_MS;
            if (reg.armedMs != reg.frequencyMs) {
                // Back from a remainder to the period; re-based after 'now', so libvirt's next fire is
                // not before the expiry just recorded.
                reg.armedMs = reg.frequencyMs;
                LibvirtNative.virEventUpdateTimeout(reg.nativeId, reg.frequencyMs);
            }
            dispatches++;
            reg.inCallback = true;
        } finally {
            lock.unlock();
        }
        try {
            reg.callback.onTimeout(reg.id);
        } catch (Throwable t) {
            failed(t, reg, "callback");
        } finally {
            callbackReturned(reg);
        }
    }

    /** libvirt reported {@code nativeEvents} on {@code reg}'s fd (or ProcessLoop found the fd closed). */
    void dispatchHandle(HandleRegistration reg, int nativeEvents) {
        int events;
        lock.lock();
        try {
            if (reg.removed || closed || reg.events == 0) {
                return;
            }
            // Only what is watched now (the events may have changed since libvirt polled), plus the
            // conditions poll(2) always reports.
            events = nativeEvents & (reg.events | HandleEvents.ERROR | HandleEvents.HANGUP);
            if (events == 0) {
                return;
            }
            dispatches++;
            reg.inCallback = true;
        } finally {
            lock.unlock();
        }
        try {
            reg.callback.onEvent(reg.id, reg.fd, events);
        } catch (Throwable t) {
            failed(t, reg, "callback");
        } finally {
            callbackReturned(reg);
        }
    }

    /** Called by ProcessLoop on the thread holding the turn, with no callback running. */
    void runQueuedFree(Registration reg) {
        boolean run;
        lock.lock();
        try {
            if (reg.inCallback) {
                reg.freeAfterCallback = true;
                run = false;
            } else {
                run = claimFreeLocked(reg);
            }
        } finally {
            lock.unlock();
        }
        if (run) {
            runClaimedFree(reg);
        }
    }

    /** Read by a runner waiting for the turn, without the lock. */
    boolean shouldStopWaiting() {
        return closed || stopRequested;
    }

    /** Read by the runner holding the turn, without the lock. */
    boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers (the *Locked ones need the lock held)

    private void callbackReturned(Registration reg) {
        boolean runFree;
        lock.lock();
        try {
            reg.inCallback = false;
            runFree = reg.freeAfterCallback && claimFreeLocked(reg);
            if (reg.removed && reg.free == null) {
                releaseIdLocked(reg); // removed during its callback, nothing to free: no one holds it now
            }
            settled.signalAll();
        } finally {
            lock.unlock();
        }
        if (runFree) {
            runClaimedFree(reg);
        }
    }

    private void armLocked(TimerRegistration reg, int frequencyMs, long now) {
        reg.frequencyMs = frequencyMs;
        reg.armedMs = frequencyMs;
        reg.expiryNanos = now + frequencyMs * NANOS_PER_MS;
    }

    /**
     * Marks a registration removed after libvirt's remove call returned {@code rc}, and owes its free.
     * A failed remove means libvirt does not know the id, so it will never call back or free it.
     */
    private void retireLocked(Registration reg, int rc, boolean queue) {
        reg.removed = true;
        if (reg.free == null && !reg.inCallback) {
            releaseIdLocked(reg); // no callback of it runs or will start, and nothing to free
        }
        if (reg instanceof HandleRegistration) {
            processLoop.handleRetired((HandleRegistration) reg);
        }
        if (reg.free != null) {
            unfreed++;
            freesOwed.add(reg);
            if (queue) {
                processLoop.queueFree(reg);
            }
        }
        if (rc < 0) {
            CallbackRouter.forget(reg);
            String message = "libvirt does not know " + reg + " of this loop (removed behind its back?): "
                    + LibvirtNative.lastErrorMessage();
            if (!queue) {
                LOG.error(message); // during close: report and go on removing the others
                return;
            }
            throw new EventLoopException(message);
        }
    }

    /** Starts the quarantine of a removed registration's id (once: its free ran, or it has none). */
    private void releaseIdLocked(Registration reg) {
        (reg instanceof TimerRegistration ? timerIds : watchIds).release(reg.id);
    }

    @Override
    public long timerIdWraps() {
        lock.lock();
        try {
            return timerIds.wraps();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long watchIdWraps() {
        lock.lock();
        try {
            return watchIds.wraps();
        } finally {
            lock.unlock();
        }
    }

    /** Takes the right to run {@code reg}'s free; true for exactly one caller. */
    private boolean claimFreeLocked(Registration reg) {
        if (reg.free == null || reg.freeClaimed) {
            return false;
        }
        reg.freeClaimed = true;
        reg.freeAfterCallback = false;
        freesOwed.remove(reg);
        return true;
    }

    private void runClaimedFree(Registration reg) {
        try {
            reg.free.free();
        } catch (Throwable t) {
            failed(t, reg, "free callback");
        } finally {
            lock.lock();
            try {
                unfreed--;
                releaseIdLocked(reg);
                settled.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private boolean consumeStop() {
        lock.lock();
        try {
            if (stopRequested) {
                stopRequested = false;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void enterRunner() {
        Thread me = Thread.currentThread();
        lock.lock();
        try {
            ensureOpen();
            if (processLoop.isIteratingThread(me)) {
                throw new IllegalStateException(
                        "run()/runOnce() called from a callback or free of a LibvirtEventLoop: libvirt's loop does not nest");
            }
            if (runner != null) {
                throw new IllegalStateException("the loop is already being run by thread \"" + runner.getName() + "\"");
            }
            runner = me;
        } finally {
            lock.unlock();
        }
    }

    private void exitRunner() {
        lock.lock();
        try {
            runner = null;
            settled.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the event loop is closed");
        }
    }

    /**
     * The callback-error rule of {@link EventLoop}: count and log; a fatal error ({@link Contract#isFatal})
     * cannot unwind through libvirt's C frames, so on the iterating thread it is handed to the process
     * loop, which rethrows it when the native iteration returns; elsewhere (close()) it is rethrown here.
     */
    private void failed(Throwable t, Registration reg, String what) {
        countFailure();
        if (!Contract.isFatal(t)) {
            callbackFailureLog.failed("{} of {} threw; the loop goes on", what, reg, t);
            return;
        }
        LOG.error("{} of {} threw {}; leaving the loop", what, reg, t.getClass().getName());
        if (processLoop.isIteratingThread(Thread.currentThread())) {
            processLoop.deferFatal((VirtualMachineError) t);
        } else {
            throw (VirtualMachineError) t;
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

}
