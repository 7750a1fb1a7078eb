package org.xlbridge.eventloop.libvirt;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;

/**
 * libvirt's default event loop, which exists once per process, and the rules by which
 * {@link LibvirtEventLoop} instances share it.
 *
 * <ul>
 *   <li>Registration: {@link #get()} calls {@code virInitialize} and {@code virEventRegisterDefaultImpl}
 *       once per process and adds a private, disabled wake timer. libvirt cannot unregister its
 *       implementation, so this state lives until the process ends; instances come and go on top of it.
 *   <li>The turn: one thread at a time iterates ({@code virEventRunDefaultImpl}). A runner of any
 *       instance waits for the turn, takes it for one iteration, and gives it back; the iteration
 *       dispatches the callbacks of every instance. A runner waiting for the turn leaves as soon as its
 *       instance is stopped or closed ({@link #nudge}).
 *   <li>Frees: registrations removed with a FreeCallback are queued here and their frees run on the
 *       thread holding the turn, before and after each native iteration, so never during a callback
 *       (see {@link #drainFrees()} for why libvirt's own free callback is not used for this).
 *   <li>Wakeup: {@link #nudge} arms the wake timer at 0 ms when the instance being stopped is the one
 *       whose runner is inside the native iteration; the timer's callback disables it again.
 *   <li>Closed fds: libvirt 9's GLib watch asks poll(2) for IN/OUT/HUP/ERR and checks revents against
 *       that mask only, so POLLNVAL (a watched fd was closed) is never reported and every iteration
 *       returns at once without dispatching anything. After {@link #EMPTY_ITERATIONS_BEFORE_FD_CHECK}
 *       such empty iterations in a row, or every {@link #ITERATIONS_PER_FD_CHECK} iterations,
 *       {@link #reportClosedFds()} polls the live xlbridge handles once (one poll(2) call) and reports
 *       ERROR for each closed one, as poll(2)-based loops (libvirt's old one included) do.
 *   <li>Ownership: xlbridge must be the only one turning libvirt's default loop. If another thread
 *       iterates it too (libvirt-java's {@code Library.runEventLoop()}), GLib lets both threads take
 *       turns and each would run the other's callbacks. An xlbridge callback that libvirt dispatches on a
 *       thread not holding the turn is therefore not run; the thread is recorded ({@link #admitDispatch})
 *       and from then on every runner of every instance fails with an {@link IllegalStateException}
 *       naming it and the replacement ({@link #requireSoleTurning}), for the rest of the process.
 * </ul>
 *
 * <p>Locking: {@link #turnLock} guards {@link #iteratingThread} and {@link #iteratingFor} (the former is
 * also volatile so that {@link #isIteratingThread} can read it without the lock). It is held only for
 * bookkeeping and for the wake call, never during the native iteration or any callback. Lock order:
 * an instance's lock and {@code turnLock} are never held together; either may be held while calling
 * into libvirt, whose own locks are never held while libvirt calls back into Java.
 */
final class ProcessLoop {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessLoop.class);

    /** Written under the class monitor ({@link #get()}); volatile for the dispatch check. */
    private static volatile ProcessLoop instance;
    /** Set once: the first thread seen iterating libvirt's default loop without holding the turn. */
    private static final AtomicReference<Thread> FOREIGN_RUNNER = new AtomicReference<>();

    /** The disabled-by-default timer armed at 0 ms to make a blocked native iteration return. */
    private final int wakeTimer;

    private final ReentrantLock turnLock = new ReentrantLock();
    /** Signalled (under turnLock) when the turn is given back or an instance is stopped or closed. */
    private final Condition turnChanged = turnLock.newCondition();
    /** Guarded by turnLock (written); volatile for lock-free reads. The thread inside an iteration. */
    private volatile Thread iteratingThread;
    /** Guarded by turnLock. The instance whose runner holds the turn. */
    private LibvirtEventLoop iteratingFor;

    /** Consecutive empty native iterations after which the live handles are checked for closed fds. */
    static final int EMPTY_ITERATIONS_BEFORE_FD_CHECK = 16;

    /** Callbacks libvirt has made into xlbridge, all kinds; an iteration that adds none is "empty". */
    private static final AtomicLong NATIVE_CALLBACKS = new AtomicLong();

    /** Live handles of every instance (added after libvirt accepted them, removed when retired). */
    private final Set<HandleRegistration> liveHandles = ConcurrentHashMap.newKeySet();
    /**
     * Iterations after which the live handles are checked for closed fds even if none was empty: a
     * 0 ms timer makes every iteration dispatch something, and libvirt spins on a closed fd all the same.
     */
    static final int ITERATIONS_PER_FD_CHECK = 1024;

    /** Turn-confined. A fatal error a callback threw during the iteration, rethrown when it returns. */
    private VirtualMachineError deferredFatal;
    /** Turn-confined: touched only by the thread holding the turn. Consecutive empty iterations. */
    private int emptyIterations;
    /** Turn-confined. Iterations since the last closed-fd check. */
    private int iterationsSinceFdCheck;
    /** Turn-confined. The pollfd array of {@link #reportClosedFds()}. */
    private PollFds fdCheck;
    /** Turn-confined (written), read for stats only. Closed fds reported as ERROR. */
    private volatile long closedFdReports;

    /** Removed registrations whose free is due; drained by the thread holding the turn. */
    private final ConcurrentLinkedQueue<Registration> dueFrees = new ConcurrentLinkedQueue<>();
    /** How many entries {@link #dueFrees} holds (its size() is not constant-time). */
    private final AtomicInteger dueFreeCount = new AtomicInteger();

    private ProcessLoop(int wakeTimer) {
        this.wakeTimer = wakeTimer;
    }

    /**
     * The process-wide loop, registering libvirt's default implementation on first use.
     *
     * @throws EventLoopException if libvirt.so.0 is missing or libvirt refuses; a later call tries again
     */
    static synchronized ProcessLoop get() {
        if (instance == null) {
            LibvirtNative.requireLoaded();
            LibvirtEventImpl.current().ifPresent(impl -> {
                throw new EventLoopException("libvirt's event implementation in this process is the loop "
                        + impl.loop() + " (LibvirtEventImpl.register), so libvirt's default loop cannot run:"
                        + " use that loop instead of a LibvirtEventLoop");
            });
            if (LibvirtNative.virInitialize() < 0) {
                throw new EventLoopException("virInitialize failed: " + LibvirtNative.lastErrorMessage());
            }
            if (LibvirtNative.virEventRegisterDefaultImpl() < 0) {
                throw new EventLoopException("virEventRegisterDefaultImpl failed: " + LibvirtNative.lastErrorMessage());
            }
            int wake = LibvirtNative.virEventAddTimeout(-1, WakeEntry.INSTANCE, null, null);
            if (wake <= 0) {
                throw new EventLoopException("virEventAddTimeout refused the loop's wake timer ("
                        + LibvirtNative.lastErrorMessage() + "); is another event implementation registered?");
            }
            instance = new ProcessLoop(wake);
            LOG.debug("libvirt default event implementation registered; wake timer {}", wake);
        }
        return instance;
    }

    /** True when {@code thread} is inside an iteration (a callback or a free may be on its stack). */
    boolean isIteratingThread(Thread thread) {
        return iteratingThread == thread;
    }

    /**
     * Runs one native iteration for {@code who}'s runner, once it has the turn.
     *
     * With a stop of {@code who} pending, the iteration does not block: the wake timer is armed first.
     *
     * @return false, without iterating, when {@code who} was closed before it got the turn, or stopped
     *         while another runner held it
     * @throws EventLoopException if {@code virEventRunDefaultImpl} fails
     * @throws VirtualMachineError a callback of the iteration threw (see {@link #deferFatal})
     */
    boolean iterate(LibvirtEventLoop who) {
        Thread me = Thread.currentThread();
        turnLock.lock();
        try {
            while (iteratingThread != null) {
                if (who.shouldStopWaiting()) {
                    return false;
                }
                requireSoleTurning();
                turnChanged.awaitUninterruptibly();
            }
            if (who.isClosed()) {
                return false;
            }
            requireSoleTurning();
            iteratingThread = me;
            iteratingFor = who;
            if (who.shouldStopWaiting()) {
                // A stop came before this iteration: it must not block (runOnce's rule). A stop after
                // this point is seen by nudge(), which arms the same timer.
                LibvirtNative.virEventUpdateTimeout(wakeTimer, 0);
            }
        } finally {
            turnLock.unlock();
        }
        VirtualMachineError fatal;
        try {
            drainFrees();
            long callbacksBefore = NATIVE_CALLBACKS.get();
            if (LibvirtNative.virEventRunDefaultImpl() < 0) {
                throw new EventLoopException("virEventRunDefaultImpl failed: " + LibvirtNative.lastErrorMessage());
            }
            if (FOREIGN_RUNNER.get() != null) {
                LibvirtNative.virEventUpdateTimeout(wakeTimer, -1); // armed by admitDispatch; stop the spinning
                requireSoleTurning();
            }
            emptyIterations = NATIVE_CALLBACKS.get() == callbacksBefore ? emptyIterations + 1 : 0;
            if (emptyIterations >= EMPTY_ITERATIONS_BEFORE_FD_CHECK || ++iterationsSinceFdCheck >= ITERATIONS_PER_FD_CHECK) {
                emptyIterations = 0;
                iterationsSinceFdCheck = 0;
                reportClosedFds();
            }
            drainFrees();
        } finally {
            fatal = deferredFatal;
            deferredFatal = null;
            turnLock.lock();
            try {
                iteratingThread = null;
                iteratingFor = null;
                turnChanged.signalAll();
            } finally {
                turnLock.unlock();
            }
        }
        if (fatal != null) {
            throw fatal;
        }
        return true;
    }

    /**
     * Keeps a fatal error thrown by a callback on the iterating thread for {@link #iterate} to rethrow
     * once the native iteration has returned (it cannot unwind through libvirt's C frames).
     */
    void deferFatal(VirtualMachineError e) {
        if (deferredFatal == null) {
            deferredFatal = e;
        } else if (deferredFatal != e) {
            deferredFatal.addSuppressed(e);
        }
    }

    /**
     * Tells {@code who}'s runner to look at its flags: wakes it if it waits for the turn, and makes the
     * native iteration return if that runner is inside it (from another thread; the iterating thread
     * itself returns from the iteration anyway).
     */
    void nudge(LibvirtEventLoop who) {
        turnLock.lock();
        try {
            turnChanged.signalAll();
            if (iteratingFor == who && iteratingThread != Thread.currentThread()) {
                LibvirtNative.virEventUpdateTimeout(wakeTimer, 0);
            }
        } finally {
            turnLock.unlock();
        }
    }

    /**
     * Called by every dispatching entry point before it runs anything: true when the calling thread
     * holds the turn. Otherwise another thread iterates libvirt's default loop: it is recorded, logged
     * once, the callback is not run there, and the runners are woken to fail.
     */
    static boolean admitDispatch() {
        ProcessLoop loop = instance;
        Thread me = Thread.currentThread();
        if (loop != null && loop.iteratingThread == me) {
            return true;
        }
        if (FOREIGN_RUNNER.compareAndSet(null, me)) {
            LOG.error(foreignRunnerMessage(me));
            if (loop != null) {
                loop.turnLock.lock();
                try {
                    loop.turnChanged.signalAll(); // runners waiting for the turn fail at once
                    if (loop.iteratingThread != null) {
                        // A runner waits inside an iteration: make it return and fail; it disarms the timer.
                        LibvirtNative.virEventUpdateTimeout(loop.wakeTimer, 0);
                    }
                } finally {
                    loop.turnLock.unlock();
                }
            }
        }
        return false;
    }

    /** @throws IllegalStateException once a thread outside xlbridge was seen iterating libvirt's loop */
    private static void requireSoleTurning() {
        Thread foreign = FOREIGN_RUNNER.get();
        if (foreign != null) {
            throw new IllegalStateException(foreignRunnerMessage(foreign));
        }
    }

    private static String foreignRunnerMessage(Thread foreign) {
        return "libvirt's default event loop is also being run by thread \"" + foreign.getName()
                + "\" (libvirt-java's Library.runEventLoop(), or virEventRunDefaultImpl called outside xlbridge):"
                + " both threads would run each other's callbacks, so LibvirtEventLoop refuses to run in this"
                + " process. Let xlbridge do the turning: replace Library.initEventLoop(), runEventLoop() and"
                + " stopEventLoop() by new LibvirtEventLoop(), loop.run() and loop.stop() (docs/libvirt-clients.md)";
    }

    /** Counts a call from libvirt into xlbridge (any entry point). */
    static void countNativeCallback() {
        NATIVE_CALLBACKS.incrementAndGet();
    }

    /** A handle libvirt accepted. */
    void handleAdded(HandleRegistration h) {
        liveHandles.add(h);
    }

    /** A handle removed (or its loop closed). */
    void handleRetired(HandleRegistration h) {
        liveHandles.remove(h);
    }

    /** Closed fds of live handles reported as ERROR so far, all instances. */
    long closedFdReports() {
        return closedFdReports;
    }

    /**
     * Polls every live handle's fd once, without blocking, and dispatches ERROR to each whose fd is
     * closed (POLLNVAL), which libvirt's GLib loop never reports itself. The dispatch goes through the
     * owner's usual checks: a handle removed or watching nothing meanwhile is skipped.
     */
    private void reportClosedFds() {
        List<HandleRegistration> handles = new ArrayList<>(liveHandles);
        if (handles.isEmpty()) {
            return;
        }
        if (fdCheck == null) {
            fdCheck = new PollFds(handles.size());
        }
        fdCheck.ensureCapacity(handles.size());
        for (int i = 0; i < handles.size(); i++) {
            fdCheck.set(i, handles.get(i).fd, 0);
        }
        try {
            if (fdCheck.poll(handles.size(), 0) <= 0) {
                return;
            }
        } catch (LastErrorException e) {
            LOG.warn("poll(2) on {} watched fds failed with errno {}", handles.size(), e.getErrorCode());
            return;
        }
        for (int i = 0; i < handles.size(); i++) {
            if ((fdCheck.revents(i) & Posix.POLLNVAL) != 0) {
                HandleRegistration h = handles.get(i);
                LOG.debug("fd {} of handle {} is closed; libvirt does not report it, reporting ERROR", h.fd, h.id);
                closedFdReports++;
                h.owner.dispatchHandle(h, HandleEvents.ERROR);
            }
        }
    }

    /** Queues the free of a removed registration for the thread holding the turn. */
    void queueFree(Registration r) {
        dueFrees.add(r);
        dueFreeCount.incrementAndGet();
    }

    /**
     * Runs the frees queued so far (not those queued while it runs: they wait for the next call, so that
     * threads removing registrations cannot hold the loop thread here indefinitely).
     *
     * <p>Why not libvirt's free callback: libvirt 9's GLib loop runs it from an idle source, and GLib
     * never dispatches an idle source while a higher-priority source is ready, so an enabled 0 ms timer
     * (ready on every iteration) postpones every free for as long as it stays enabled. The router entry
     * still waits for libvirt's free callback; only the caller's FreeCallback runs from here.
     */
    private void drainFrees() {
        int n = dueFreeCount.get();
        for (int i = 0; i < n; i++) {
            Registration r = dueFrees.poll();
            if (r == null) {
                break;
            }
            dueFreeCount.decrementAndGet();
            try {
                r.owner.runQueuedFree(r);
            } catch (RuntimeException e) {
                LOG.error("internal error while freeing {}", r, e);
            }
        }
    }

    /** The wake timer's callback: disables the timer again. */
    private static final class WakeEntry implements LibvirtNative.TimeoutFunc {
        static final WakeEntry INSTANCE = new WakeEntry();

        @Override
        public void invoke(int timer, Pointer opaque) {
            try {
                countNativeCallback();
                if (!admitDispatch()) {
                    // A foreign thread: keep the timer armed only while a runner of ours is inside an
                    // iteration (it disarms it on its way out), so that the foreign loop does not spin.
                    ProcessLoop loop = instance;
                    if (loop != null && loop.iteratingThread == null) {
                        LibvirtNative.virEventUpdateTimeout(timer, -1);
                    }
                    return;
                }
                LibvirtNative.virEventUpdateTimeout(timer, -1);
            } catch (Throwable t) {
                LOG.error("cannot disable the libvirt loop's wake timer", t);
            }
        }
    }
}
