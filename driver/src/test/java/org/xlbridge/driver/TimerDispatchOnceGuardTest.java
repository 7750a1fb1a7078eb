package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.TimeEvent;

/**
 * The bridge's once-only guard in timer dispatch, deterministically: two dispatches of one timer, on the
 * pooled dispatcher over a {@link ManualEventLoop}, the first held right after its first access to the
 * registration's state while the second runs to the end. A guard that decides and claims in one
 * compare-and-set passes (the second dispatch finds the registration FIRING and is suppressed); a
 * check-then-act (read ARMED, then CAS or write separately) lets both through and libxl hears
 * {@code occurredTimeout} twice, which this test reports before the held dispatch is even released.
 * Until now only the Fray exploration (mutant NO_ONCE_GUARD, scenario (b)) caught such a guard: stress
 * never hits a window of a few instructions.
 */
class TimerDispatchOnceGuardTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * A state cell that, once armed, holds the first pool thread to touch it right after that access, until
     * released. Every later access (the other dispatch, the held one after release, the free) goes through.
     */
    static final class HoldingCell extends StateCell {
        volatile boolean armed;
        final AtomicReference<Thread> held = new AtomicReference<>();
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> accesses = new CopyOnWriteArrayList<>();

        HoldingCell(int initial) {
            super(initial);
        }

        private void touched(String what) {
            Thread me = Thread.currentThread();
            accesses.add(me.getName() + ": " + what);
            if (armed && me.getName().startsWith("xlbridge-dispatch-") && held.compareAndSet(null, me)) {
                holding.countDown();
                try {
                    if (!release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                        accesses.add(me.getName() + ": never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        int get() {
            int v = super.get();
            touched("get -> " + TimeoutRegistration.stateName(v));
            return v;
        }

        @Override
        void set(int v) {
            super.set(v);
            touched("set " + TimeoutRegistration.stateName(v));
        }

        @Override
        boolean compareAndSet(int expect, int update) {
            boolean ok = super.compareAndSet(expect, update);
            touched("cas " + TimeoutRegistration.stateName(expect) + "->" + TimeoutRegistration.stateName(update)
                    + (ok ? "" : " failed"));
            return ok;
        }

        @Override
        int getAndSet(int v) {
            int old = super.getAndSet(v);
            touched("getAndSet " + TimeoutRegistration.stateName(v) + " (was " + TimeoutRegistration.stateName(old) + ")");
            return old;
        }
    }

    /** Counts timer dispatches that have returned (on the pool thread that ran them). */
    static final class ReturnCounting extends ForwardingEventLoop {
        final Semaphore returned = new Semaphore(0);

        ReturnCounting(EventLoop inner) {
            super(inner);
        }

        @Override
        public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
            return super.addTimeout(frequencyMs, t -> {
                try {
                    cb.onTimeout(t);
                } finally {
                    returned.release();
                }
            }, ff);
        }
    }

    @Test
    void aSecondDispatchWhileTheFirstHoldsTheRegistrationIsSuppressedAndLibxlHearsOnce() throws Exception {
        ManualEventLoop manual = new ManualEventLoop();
        List<HoldingCell> cells = new CopyOnWriteArrayList<>();
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicInteger suppressed = new AtomicInteger();
        BridgeListener listener = new BridgeListener() {
            @Override
            public void duplicateDispatchSuppressed(TimeoutRegistration reg) {
                suppressed.incrementAndGet();
            }

            @Override
            public void violation(String what) {
                violations.add(what);
            }
        };
        try (PooledDispatchEventLoop pooled = new PooledDispatchEventLoop(manual, 2, 0)) {
            ReturnCounting loop = new ReturnCounting(pooled);
            OsEventBridge bridge = new OsEventBridge(loop, listener, initial -> {
                HoldingCell c = new HoldingCell(initial);
                cells.add(c);
                return c;
            });
            LibxlContext ctx = LibxlContext.builder().hooks(bridge).timeSource(manual.timeSource()).build();
            bridge.attach(ctx);
            AtomicInteger fired = new AtomicInteger();
            TimeEvent e = ctx.newTimeEvent();
            e.registerRel(10, (ev, deadline, rc) -> fired.incrementAndGet());
            assertThat(cells).hasSize(1);
            HoldingCell cell = cells.get(0);
            cell.armed = true;
            try {
                // First dispatch: due at 10 ms, handed to a pool thread, which is held right after its first
                // access to the state (the claiming CAS, in the correct bridge).
                manual.advance(Duration.ofMillis(10));
                assertThat(cell.holding.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                        .as("the first dispatch touched the state").isTrue();

                // Second dispatch of the same timer: it has not been disabled yet, so at 20 ms the loop fires it
                // again, on the other pool thread, and it runs to the end while the first is held.
                manual.advance(Duration.ofMillis(10));
                assertThat(loop.returned.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                        .as("the second dispatch ran to the end while the first was held; state accesses: %s",
                                cell.accesses).isTrue();
                assertThat(bridge.stats().occurredDelivered())
                        .as("no occurredTimeout from the second dispatch while the first holds the registration;"
                                + " state accesses: %s", cell.accesses).isZero();
                assertThat(suppressed).as("the second dispatch was suppressed").hasValue(1);
            } finally {
                cell.release.countDown();
            }
            assertThat(loop.returned.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                    .as("the first dispatch returned once released").isTrue();
            manual.runDue(); // the winner removed the timer: the inner loop frees it, after both dispatches
            // The pooled loop runs that free on whichever thread finishes last, possibly a pool thread just after
            // the dispatch returned: wait for it.
            assertThat(bridge.awaitDrained(WAIT)).as("the registration was freed").isTrue();

            BridgeStats b = bridge.stats();
            assertThat(b.occurredDelivered()).as("exactly one occurredTimeout (I1); state accesses: %s", cell.accesses)
                    .isEqualTo(1);
            assertThat(b.duplicateDispatches()).isEqualTo(1);
            assertThat(b.timeoutFrees()).isEqualTo(1);
            assertThat(b.violations()).isZero();
            assertThat(violations).isEmpty();
            assertThat(fired).as("the event fired once").hasValue(1);
            LibxlStats c = ctx.stats();
            assertThat(c.timeoutsOnIdleNexus()).as("no occurredTimeout on an answered nexus").isZero();
            assertThat(c.timeoutNexiInUse()).isZero();
            assertThat(bridge.isDrained()).isTrue();
            assertThat(manual.stats().liveTimeouts()).isZero();
            ctx.close();
        }
    }
}
