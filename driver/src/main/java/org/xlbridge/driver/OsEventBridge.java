package org.xlbridge.driver;

import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.libxl.FdToken;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.OsEventHookException;
import org.xlbridge.libxl.OsEventHooks;
import org.xlbridge.libxl.TimeoutToken;
import org.xlbridge.time.Millis;

/**
 * The application side of libxl's osevent hooks: libxl's timeouts and fd watches become timers and
 * handles of an {@link EventLoop}, as libvirt's libxl driver does it — and correct even when the loop
 * dispatches callbacks on several threads at once, which libvirt's loops never do.
 *
 * <p>Each timeout is a {@link TimeoutRegistration}, whose compare-and-set state machine delivers
 * {@link LibxlContext#occurredTimeout} exactly once per registration and turns a {@code timeoutModify(ASAP)}
 * that races the registration's own dispatch into a counted no-op: the application's coping with
 * {@code timeout_modify}, with no extra "deregistration complete" call. Each fd watch is an
 * {@link FdRegistration}. A registration object is released only by the loop's {@code FreeCallback}; a use
 * after free is reported as a violation and ignored. {@code docs/bridge.md} is the one description of the
 * design: the state machine and why each step is safe, the rounding, the bit mappings, teardown, and the
 * deterministic test cases.
 *
 * <p>Locking rules. The bridge has no lock of its own on any path: registration state is atomic,
 * counters are atomics/adders. Hooks are called by libxl with the ctx lock held and call only into the
 * loop (whose lock is never held while it runs callbacks). Loop callbacks run with no loop lock held and
 * call into the ctx, which takes the ctx lock. So the only lock order is ctx lock → loop lock, and the
 * bridge never calls into the ctx while holding a lock that a hook also takes (libxl_event.h, option
 * (a)). {@link #drainMonitor} is held only to wait for or announce "no live registrations", never while
 * calling out.
 */
public final class OsEventBridge implements OsEventHooks {
    private static final Logger log = LoggerFactory.getLogger(OsEventBridge.class);

    private final EventLoop loop;
    private final BridgeListener listener;
    /** Makes each timeout registration's state cell (a plain {@link StateCell}; a test may observe it). */
    private final IntFunction<StateCell> stateCells;
    // Set once by attach(); volatile so loop threads see it.
    private volatile LibxlContext ctx;

    private final AtomicLong serials = new AtomicLong();
    private final AtomicInteger liveTimeouts = new AtomicInteger();
    private final AtomicInteger liveFds = new AtomicInteger();
    private final LongAdder timeoutsRegistered = new LongAdder();
    private final LongAdder occurredDelivered = new LongAdder();
    private final LongAdder modifyAsapCalls = new LongAdder();
    private final LongAdder modifyWhileFiring = new LongAdder();
    private final LongAdder legacyDeregisterCalls = new LongAdder();
    private final LongAdder duplicateDispatches = new LongAdder();
    private final LongAdder timeoutFrees = new LongAdder();
    private final LongAdder fdEventsDelivered = new LongAdder();
    private final LongAdder fdFrees = new LongAdder();
    private final LongAdder violations = new LongAdder();
    // Guards nothing but wait/notify for awaitDrained().
    private final Object drainMonitor = new Object();

    /** A bridge over {@code loop} that reports to {@code listener}. */
    @Inject
    public OsEventBridge(EventLoop loop, BridgeListener listener) {
        this(loop, listener, StateCell::new);
    }

    /**
     * For tests: a bridge whose timeout registrations keep their state in cells made by {@code stateCells}
     * (given {@link TimeoutRegistration#ARMED}), so that a test can hold a dispatch right after it touched
     * the state.
     */
    OsEventBridge(EventLoop loop, BridgeListener listener, IntFunction<StateCell> stateCells) {
        if (loop == null || listener == null || stateCells == null) {
            throw new IllegalArgumentException("loop, listener and stateCells must not be null");
        }
        this.loop = loop;
        this.listener = listener;
        this.stateCells = stateCells;
    }

    /** A bridge over {@code loop} with no listener. */
    public OsEventBridge(EventLoop loop) {
        this(loop, BridgeListener.NONE);
    }

    /**
     * Ties the bridge to the ctx whose hooks it is (libxl's {@code user} pointer). Called once, after the
     * ctx was built with this bridge as its hooks and before any event is registered.
     */
    public void attach(LibxlContext context) {
        if (context == null) {
            throw new IllegalArgumentException("context must not be null");
        }
        synchronized (drainMonitor) {
            if (this.ctx != null) {
                throw new IllegalStateException("bridge is already attached to a context");
            }
            this.ctx = context;
        }
    }

    /** The loop this bridge registers with. */
    public EventLoop loop() {
        return loop;
    }

    // ---------------------------------------------------------------- timeouts

    @Override
    public Object timeoutRegister(long deadlineNanos, TimeoutToken token) throws OsEventHookException {
        LibxlContext c = requireAttached();
        // Rounded up, so the loop never fires before libxl's deadline; ASAP and past deadlines give 0.
        int ms = Millis.until(deadlineNanos, c.timeSource().nanoTime());
        TimeoutRegistration reg = new TimeoutRegistration(serials.incrementAndGet(), token, deadlineNanos,
                stateCells.apply(TimeoutRegistration.ARMED));
        int id;
        try {
            id = loop.addTimeout(ms, timer -> onTimer(reg, timer), () -> onTimeoutFree(reg));
        } catch (RuntimeException e) {
            log.warn("timeout register hook failed for {}: {}", token, e.toString());
            throw new OsEventHookException(LibxlError.OSEVENT_REG_FAIL,
                    "event loop refused the timeout: " + e.getMessage(), e);
        }
        reg.setTimerId(id);
        liveTimeouts.incrementAndGet();
        timeoutsRegistered.increment();
        try {
            listener.timeoutRegistered(reg);
        } catch (RuntimeException e) {
            log.error("bridge listener failed in timeoutRegistered", e);
        }
        return reg;
    }

    @Override
    public Object timeoutModify(Object forApp, long deadlineNanos) throws OsEventHookException {
        TimeoutRegistration reg = asTimeout(forApp, "timeoutModify");
        if (deadlineNanos != ASAP) {
            throw new OsEventHookException(LibxlError.INVAL,
                    "timeoutModify supports only OsEventHooks.ASAP, got deadline " + deadlineNanos);
        }
        modifyAsapCalls.increment();
        int s = reg.state();
        switch (s) {
            case TimeoutRegistration.ARMED -> {
                // If a dispatch takes it between this read and the update, the update either re-enables a
                // disabled timer (the re-fire is suppressed and the winner removes it) or hits a removed id
                // (a no-op by contract): both harmless.
                loop.updateTimeout(reg.timerId(), 0);
                listener.timeoutModified(reg, false);
            }
            case TimeoutRegistration.FIRING, TimeoutRegistration.DONE, TimeoutRegistration.CANCELLED -> {
                modifyWhileFiring.increment();
                log.debug("modify(ASAP) for {} while {}: ignored, the dispatch under way delivers", reg,
                        TimeoutRegistration.stateName(s));
                listener.timeoutModified(reg, true);
            }
            default -> violation("timeoutModify on a freed registration " + reg);
        }
        return reg;
    }

    @Override
    public void timeoutDeregister(Object forApp) {
        TimeoutRegistration reg;
        try {
            reg = asTimeout(forApp, "timeoutDeregister");
        } catch (OsEventHookException e) {
            return; // already reported as a violation
        }
        legacyDeregisterCalls.increment();
        if (reg.transition(TimeoutRegistration.ARMED, TimeoutRegistration.CANCELLED)) {
            loop.removeTimeout(reg.timerId());
        } else if (reg.state() == TimeoutRegistration.FREED) {
            violation("timeoutDeregister on a freed registration " + reg);
            return;
        }
        // FIRING: the dispatch under way will still call occurredTimeout with a token libxl has just
        // recycled. That is the legacy protocol's race; the bridge cannot stop it.
        listener.timeoutDeregistered(reg);
    }

    private void onTimer(TimeoutRegistration reg, int timer) {
        if (!reg.transition(TimeoutRegistration.ARMED, TimeoutRegistration.FIRING)) {
            int s = reg.state();
            if (s == TimeoutRegistration.FREED) {
                violation("timer dispatch after free: " + reg);
            } else {
                duplicateDispatches.increment();
                listener.duplicateDispatchSuppressed(reg);
                if (s == TimeoutRegistration.CANCELLED) {
                    removeQuietly(timer);
                }
            }
            return;
        }
        disableQuietly(timer);
        listener.beforeOccurredTimeout(reg);
        try {
            ctx.occurredTimeout(reg.token());
            occurredDelivered.increment();
        } finally {
            reg.transition(TimeoutRegistration.FIRING, TimeoutRegistration.DONE);
            listener.afterOccurredTimeout(reg);
            removeQuietly(timer);
        }
    }

    private void onTimeoutFree(TimeoutRegistration reg) {
        int previous = reg.markFreed();
        if (previous == TimeoutRegistration.FREED) {
            violation("double free of " + reg);
            return;
        }
        timeoutFrees.increment();
        if (previous == TimeoutRegistration.ARMED || previous == TimeoutRegistration.FIRING) {
            LibxlContext c = ctx;
            if (c != null && !c.isClosed()) {
                log.warn("{} freed before it delivered occurredTimeout (loop closed under a live ctx?)", reg);
            }
        }
        listener.timeoutFreed(reg, previous);
        if (liveTimeouts.decrementAndGet() == 0) {
            signalIfDrained();
        }
    }

    // ---------------------------------------------------------------- fds

    @Override
    public Object fdRegister(int fd, int events, FdToken token) throws OsEventHookException {
        requireAttached();
        FdRegistration reg = new FdRegistration(serials.incrementAndGet(), token, fd, events);
        int id;
        try {
            id = loop.addHandle(fd, toHandleEvents(events), (watch, f, ready) -> onFd(reg, ready),
                    () -> onFdFree(reg));
        } catch (RuntimeException e) {
            log.warn("fd register hook failed for fd {} ({}): {}", fd, token, e.toString());
            throw new OsEventHookException(LibxlError.OSEVENT_REG_FAIL,
                    "event loop refused fd " + fd + ": " + e.getMessage(), e);
        }
        reg.setWatchId(id);
        liveFds.incrementAndGet();
        return reg;
    }

    @Override
    public Object fdModify(int fd, Object forApp, int events) throws OsEventHookException {
        FdRegistration reg = asFd(forApp, "fdModify");
        if (reg.state() != FdRegistration.LIVE) {
            violation("fdModify on a deregistered or freed registration " + reg);
            throw new OsEventHookException(LibxlError.FAIL, "fd registration " + reg + " is not live");
        }
        reg.setPollEvents(events);
        loop.updateHandle(reg.watchId(), toHandleEvents(events));
        return reg;
    }

    @Override
    public void fdDeregister(int fd, Object forApp) {
        FdRegistration reg;
        try {
            reg = asFd(forApp, "fdDeregister");
        } catch (OsEventHookException e) {
            return;
        }
        if (reg.transition(FdRegistration.LIVE, FdRegistration.REMOVED)) {
            loop.removeHandle(reg.watchId());
        } else {
            violation("fdDeregister on a registration that is not live: " + reg);
        }
    }

    private void onFd(FdRegistration reg, int ready) {
        int s = reg.state();
        if (s == FdRegistration.FREED) {
            violation("handle dispatch after free: " + reg);
            return;
        }
        if (s != FdRegistration.LIVE) {
            return; // deregistered while this dispatch was on its way: nothing to report
        }
        ctx.occurredFd(reg.token(), reg.fd(), reg.pollEvents(), HandleEvents.toPoll(ready));
        fdEventsDelivered.increment();
    }

    private void onFdFree(FdRegistration reg) {
        int previous = reg.markFreed();
        if (previous == FdRegistration.FREED) {
            violation("double free of " + reg);
            return;
        }
        fdFrees.increment();
        listener.fdFreed(reg);
        if (liveFds.decrementAndGet() == 0) {
            signalIfDrained();
        }
    }

    // ---------------------------------------------------------------- state

    /** A snapshot of the bridge's counters. */
    public BridgeStats stats() {
        return new BridgeStats(liveTimeouts.get(), liveFds.get(), timeoutsRegistered.sum(),
                occurredDelivered.sum(), modifyAsapCalls.sum(), modifyWhileFiring.sum(),
                legacyDeregisterCalls.sum(), duplicateDispatches.sum(), timeoutFrees.sum(),
                fdEventsDelivered.sum(), fdFrees.sum(), violations.sum());
    }

    /** True when no registration is live (every one was freed by the loop). */
    public boolean isDrained() {
        return liveTimeouts.get() == 0 && liveFds.get() == 0;
    }

    /**
     * Waits until every registration has been freed by the loop, or the timeout passes. The loop must be
     * running (or be closed) for frees to happen.
     *
     * @return true when drained
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (drainMonitor) {
            while (!isDrained()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(drainMonitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
            return true;
        }
    }

    private void signalIfDrained() {
        if (isDrained()) {
            synchronized (drainMonitor) {
                drainMonitor.notifyAll();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * poll(2) bits to {@link HandleEvents} for a watch: POLLIN→READABLE, POLLOUT→WRITABLE (by
     * {@link HandleEvents#fromPoll}), and ERROR always, as libvirt's libxl driver asks for it.
     */
    static int toHandleEvents(int pollEvents) {
        return HandleEvents.fromPoll(pollEvents) | HandleEvents.ERROR;
    }

    private LibxlContext requireAttached() {
        LibxlContext c = ctx;
        if (c == null) {
            throw new IllegalStateException("bridge is not attached to a LibxlContext (call attach first)");
        }
        return c;
    }

    private TimeoutRegistration asTimeout(Object forApp, String hook) throws OsEventHookException {
        if (forApp instanceof TimeoutRegistration reg) {
            return reg;
        }
        violation(hook + " got a registration object this bridge did not make: " + forApp);
        throw new OsEventHookException(LibxlError.INVAL, hook + ": not a TimeoutRegistration: " + forApp);
    }

    private FdRegistration asFd(Object forApp, String hook) throws OsEventHookException {
        if (forApp instanceof FdRegistration reg) {
            return reg;
        }
        violation(hook + " got a registration object this bridge did not make: " + forApp);
        throw new OsEventHookException(LibxlError.INVAL, hook + ": not an FdRegistration: " + forApp);
    }

    private void disableQuietly(int timer) {
        try {
            loop.updateTimeout(timer, -1);
        } catch (IllegalStateException closed) {
            log.debug("loop closed while disabling timer {}", timer);
        }
    }

    private void removeQuietly(int timer) {
        try {
            loop.removeTimeout(timer);
        } catch (IllegalStateException closed) {
            log.debug("loop closed while removing timer {}", timer);
        }
    }

    private void violation(String what) {
        violations.increment();
        log.error("bridge violation: {}", what);
        listener.violation(what);
    }
}
