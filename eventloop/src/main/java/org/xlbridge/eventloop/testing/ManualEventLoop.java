package org.xlbridge.eventloop.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.core.CoreEventLoop;
import org.xlbridge.eventloop.core.HandleRegistration;
import org.xlbridge.time.TimeSource;

/**
 * An {@link EventLoop} on virtual time, driven by the test, for deterministic driver tests. It is the
 * embedded loop's core ({@link CoreEventLoop}: the same ids, timer queue, dispatch, frees, stop and
 * close) on a virtual clock, over a poller that never touches an fd ({@link ManualPoller}). Nothing
 * happens on its own: {@link #advance(Duration)} moves the clock and runs what falls due,
 * {@link #runDue()} runs what is due now, and {@link #fireHandle(int, int)} says that a handle is
 * ready. Callbacks and frees run on the thread that calls those methods (the "loop thread" of this
 * loop). The inspection methods ({@link #liveTimeouts()}, {@link #timeoutExpiry(int)},
 * {@link #nextExpiry()}, ...) are the core's.
 *
 * <p>Semantics are those of the contract, on the virtual clock ({@link #nanoTime()}):
 * <ul>
 *   <li>A pass ({@link #runDue()}) is one iteration of the core that does not wait: every timer due at
 *       the current virtual time, once, in expiry order with ties in registration order, then pending
 *       frees. A frequency-0 timer is due at every pass; a periodic timer is re-armed at now + period
 *       when it fires. Timers added or re-based during a pass wait for the next pass.</li>
 *   <li>{@link #advance(Duration)} moves the clock step by step to each later expiry inside the window
 *       and runs a pass there, then a last pass at the end of the window, so a periodic timer fires once
 *       for each period that fits, and each step counts as one iteration for frequency-0 timers.
 *       {@code advance(Duration.ZERO)} is one pass.</li>
 *   <li>{@link #fireHandle(int, int)} runs one pass in which the handle is reported ready with the
 *       given events: due timers first, as in every iteration, then the handle's callback with those
 *       events intersected with what it watches (ERROR and HANGUP are always deliverable to a handle
 *       that watches anything, as poll(2) reports them unasked), then pending frees.</li>
 *   <li>{@link #runOnce()} and {@link #run()} are the core's: they wait (in real time) for something
 *       to become due; on pure virtual time only another thread's change does that, so they are useful
 *       mainly for frequency-0 timers, frees and stop.</li>
 * </ul>
 * A loop made by {@link #following(TimeSource)} instead keeps its clock up with a real one, so that
 * {@link #run()} fires timers in real time; that is how the conformance suite runs against it.
 * Only one thread drives the loop at a time; driving it from inside one of its callbacks, or from a
 * second thread while a pass runs, throws {@link IllegalStateException}.
 *
 * <p>Locking: the core's rules; the virtual clock is an atomic that only moves forward.
 */
public final class ManualEventLoop extends CoreEventLoop {
    private final VirtualClock virtualClock;
    private final ManualPoller poller;

    /** A loop whose virtual clock starts at 0. */
    public ManualEventLoop() {
        this(0L);
    }

    /** A loop whose virtual clock starts at {@code startNanos}. */
    public ManualEventLoop(long startNanos) {
        this(new VirtualClock(startNanos, null), new ManualPoller(false));
    }

    private ManualEventLoop(VirtualClock clock, ManualPoller poller) {
        super("ManualEventLoop", clock, poller);
        this.virtualClock = clock;
        this.poller = poller;
    }

    /**
     * A loop whose virtual clock keeps up with {@code clock}: every read of the loop's time first moves
     * it forward to {@code clock}'s, and {@link #run()} waits for the next expiry by that clock. The
     * dispatch logic is the same as on pure virtual time; this mode lets the real-time conformance suite
     * run against it. {@link #advance(Duration)} may still move the virtual clock ahead; it then waits
     * for {@code clock} to catch up.
     *
     * @throws IllegalArgumentException if {@code clock} is null
     */
    public static ManualEventLoop following(TimeSource clock) {
        if (clock == null) {
            throw new IllegalArgumentException("null clock to follow");
        }
        return new ManualEventLoop(new VirtualClock(clock.nanoTime(), clock), new ManualPoller(true));
    }

    // ---------------------------------------------------------------------------------------------
    // Virtual time and driving

    /** The virtual clock, in nanoseconds. */
    public long nanoTime() {
        return virtualClock.nanoTime();
    }

    /** The virtual clock as a {@link TimeSource}, to hand to the code under test. */
    public TimeSource timeSource() {
        return virtualClock;
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
        runPasses(new PassGuard() {
            private boolean started;
            private boolean last;
            private long end;

            @Override
            public boolean beforePass() {
                if (last) {
                    return false;
                }
                long now = virtualClock.nanoTime();
                if (!started) {
                    started = true;
                    end = now + stepNanos;
                }
                long next = nextExpiryAfterLocked(now, end);
                if (next - end < 0) {
                    virtualClock.moveTo(next);
                } else {
                    virtualClock.moveTo(end);
                    last = true;
                }
                return true;
            }
        });
    }

    /** Runs one pass at the current virtual time: due timers (frequency-0 ones once), then pending frees. */
    public void runDue() {
        runPasses(new OnePass());
    }

    /**
     * Says that the fd of {@code watch} is ready with {@code events}: if the handle is live, runs one
     * pass at the current virtual time in which it is reported ready (see the class comment).
     *
     * @return whether the handle's callback ran
     * @throws IllegalArgumentException for unknown event bits
     * @throws IllegalStateException    if closed, called from a callback, or another thread drives the loop
     */
    public boolean fireHandle(int watch, int events) {
        HandleEvents.requireValid(events);
        int handled = runPasses(new OnePass() {
            @Override
            public boolean beforePass() {
                if (!super.beforePass()) {
                    return false;
                }
                HandleRegistration h = handleLocked(watch);
                if (h == null) {
                    return false;
                }
                poller.fire(h, events);
                return true;
            }
        });
        return handled > 0;
    }

    /** A guard that lets exactly one pass run. */
    private static class OnePass implements PassGuard {
        private boolean done;

        @Override
        public boolean beforePass() {
            if (done) {
                return false;
            }
            done = true;
            return true;
        }
    }

    /** Virtual nanoseconds, moved only forward; optionally kept up with a followed real clock. */
    private static final class VirtualClock implements TimeSource {
        private final AtomicLong now;
        /** The clock to keep up with, or null for pure virtual time. */
        private final TimeSource followed;

        VirtualClock(long start, TimeSource followed) {
            this.now = new AtomicLong(start);
            this.followed = followed;
        }

        @Override
        public long nanoTime() {
            if (followed == null) {
                return now.get();
            }
            long real = followed.nanoTime();
            return now.accumulateAndGet(real, (current, r) -> r - current > 0 ? r : current);
        }

        void moveTo(long t) {
            now.accumulateAndGet(t, (current, target) -> target - current > 0 ? target : current);
        }

        @Override
        public String toString() {
            return now.get() + " ns" + (followed == null ? " (virtual)" : " (following a real clock)");
        }
    }

    @Override
    public String toString() {
        return super.toString() + " at " + virtualClock;
    }
}
