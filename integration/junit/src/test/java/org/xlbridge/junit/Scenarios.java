package org.xlbridge.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.xlbridge.driver.BridgeListener;
import org.xlbridge.driver.TimeoutRegistration;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.FdEvent;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.TimeEvent;
import org.xlbridge.posix.Posix;

/**
 * Test classes the kit's own tests run through JUnit's {@code EngineTestKit}: correct scenarios that must
 * pass on every loop, and deliberately wrong ones that must fail naming the right invariant. They are nested
 * classes so that the build (surefire excludes nested classes) never runs them on their own.
 */
final class Scenarios {
    private Scenarios() {
    }

    /** Registers events, lets some fire and deregisters the others (modify ASAP): correct on every loop. */
    static class CorrectTimeouts {
        @XlbridgeDriverTest
        void someFireSomeAreDeregistered(XlbridgeDriver driver) {
            LibxlContext ctx = driver.context();
            AtomicInteger fired = new AtomicInteger();
            List<TimeEvent> cancelled = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                TimeEvent e = ctx.newTimeEvent();
                if (i % 2 == 0) {
                    e.registerRel(1 + i, (ev, deadline, rc) -> fired.incrementAndGet());
                } else {
                    e.registerRel(60_000, (ev, deadline, rc) -> fired.incrementAndGet());
                    cancelled.add(e);
                }
            }
            ctx.withLock(() -> cancelled.forEach(TimeEvent::deregister));
            driver.awaitUntil("10 events fired", () -> fired.get() == 10);
            assertThat(driver.checker().reentrancyProbes()).isPositive();
        }
    }

    /** An fd watch delivered and deregistered from its own callback, on every loop. */
    static class CorrectFds {
        @XlbridgeDriverTest
        void fdEventIsDelivered(XlbridgeDriver driver) {
            int[] pipe = new int[2];
            Posix.pipe2(pipe, Posix.O_CLOEXEC);
            try {
                AtomicInteger delivered = new AtomicInteger();
                FdEvent watch = driver.context().newFdEvent();
                watch.register(pipe[0], Posix.POLLIN, (ev, fd, events, revents) -> {
                    Posix.read(fd, new byte[1], 1);
                    ev.deregister();
                    delivered.incrementAndGet();
                });
                Posix.write(pipe[1], new byte[] {1}, 1);
                driver.awaitUntil("the fd event", () -> delivered.get() == 1);
                driver.awaitUntil("the handle freed", () -> driver.bridge().stats().fdFrees() == 1);
            } finally {
                Posix.close(pipe[0]);
                Posix.close(pipe[1]);
            }
        }
    }

    /** The pre-fix protocol: deregistered timeouts never get their occurredTimeout (I1), on every loop. */
    static class LegacyDeregister {
        @XlbridgeDriverTest(protocol = DeregistrationProtocol.LEGACY_DEREGISTER)
        void deregisterSomeTimeouts(XlbridgeDriver driver) {
            LibxlContext ctx = driver.context();
            for (int i = 0; i < 5; i++) {
                TimeEvent e = ctx.newTimeEvent();
                e.registerRel(60_000, (ev, deadline, rc) -> { });
                ctx.withLock(e::deregister);
            }
        }
    }

    /**
     * The stale timeout race of Xen commit 5f5ef65b, made deterministic on the manual loop: the dispatch of
     * E is held after it took the registration; libxl (legacy) deregisters E, recycles its token and gives it
     * to a new event F; the held dispatch then delivers E's occurredTimeout with F's token. F's own
     * registration then never drains (its 60 s timer is owed nothing), hence the short drain timeout.
     */
    static class LegacyRace {
        @XlbridgeDriverTest(loops = DriverLoop.MANUAL, protocol = DeregistrationProtocol.LEGACY_DEREGISTER,
                drainTimeoutMs = 300)
        void staleTimeoutFiresANewerEvent(XlbridgeDriver driver) throws Exception {
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            driver.checker().addListener(new BridgeListener() {
                @Override
                public void beforeOccurredTimeout(TimeoutRegistration reg) {
                    if (entered.getCount() > 0) {
                        entered.countDown();
                        await(release);
                    }
                }
            });
            LibxlContext ctx = driver.context();
            TimeEvent e = ctx.newTimeEvent();
            TimeEvent f = ctx.newTimeEvent();
            e.registerRel(10, (ev, deadline, rc) -> { });
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread dispatcher = new Thread(() -> {
                try {
                    driver.advance(Duration.ofMillis(10));
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "manual-dispatch");
            dispatcher.start();
            await(entered);
            ctx.withLock(() -> {
                e.deregister();
                f.registerRel(60_000, (ev, deadline, rc) -> { });
            });
            release.countDown();
            dispatcher.join(10_000);
            assertThat(dispatcher.isAlive()).isFalse();
            assertThat(failure.get()).isNull();
        }
    }

    /** A registration of the test's own left on the loop: I4 at quiescence. */
    static class LeakedTimer {
        @XlbridgeDriverTest
        void leavesATimerBehind(XlbridgeDriver driver) {
            driver.loop().addTimeout(60_000, t -> { }, null);
        }
    }

    /** A broken library calls timeoutDeregister under ASAP_MODIFY: I7. */
    static class DeregisterUnderAsapModify {
        @XlbridgeDriverTest(loops = DriverLoop.MANUAL)
        void deregisterHookCalled(XlbridgeDriver driver) {
            AtomicReference<TimeoutRegistration> reg = new AtomicReference<>();
            driver.checker().addListener(new BridgeListener() {
                @Override
                public void timeoutRegistered(TimeoutRegistration r) {
                    reg.set(r);
                }
            });
            TimeEvent e = driver.context().newTimeEvent();
            e.registerRel(60_000, (ev, deadline, rc) -> { });
            driver.context().withLock(() -> driver.bridge().timeoutDeregister(reg.get()));
        }
    }

    /** Events and operations the test declares (I9, I10), delivered correctly on every loop. */
    static class CorrectEventsAndOperations {
        @XlbridgeDriverTest
        void eventsInOrderAndOperationsOnce(XlbridgeDriver driver) {
            DriverInvariantChecker checker = driver.checker();
            LibxlContext ctx = driver.context();
            checker.expectEvents("listener", "dom1", "started", "stopped");
            DriverInvariantChecker.TrackedOperation op = checker.operation("shutdown dom1");
            TimeEvent first = ctx.newTimeEvent();
            TimeEvent second = ctx.newTimeEvent();
            first.registerRel(2, (ev, d, rc) -> {
                op.ran("started");
                checker.recordEvent("listener", "dom1", "started");
                second.registerRel(2, (ev2, d2, rc2) -> {
                    checker.recordEvent("listener", "dom1", "stopped");
                    op.completed("done");
                });
            });
            driver.awaitUntil("the operation completed", op::isCompleted);
        }
    }

    /** Events delivered twice, out of order and off the loop, an operation completed twice and one never. */
    static class WrongEventsAndOperations {
        @XlbridgeDriverTest(loops = DriverLoop.MANUAL)
        void eventsAndOperationsWrong(XlbridgeDriver driver) {
            DriverInvariantChecker checker = driver.checker();
            checker.expectEvents("listener", "dom1", "started", "stopped");
            checker.recordEvent("listener", "dom1", "stopped"); // on the test thread, not the loop
            DriverInvariantChecker.TrackedOperation twice = checker.operation("reboot dom1");
            twice.completed("done");
            twice.completed("timed out");
            twice.ran("late guest answer");
            checker.operation("destroy dom2");
        }
    }

    /** An assertion inside a libxl event callback: the ctx swallows it; the kit fails the test anyway. */
    static class AssertionInCallback {
        @XlbridgeDriverTest(loops = DriverLoop.EMBEDDED)
        void failsInsideCallback(XlbridgeDriver driver) {
            AtomicInteger ran = new AtomicInteger();
            driver.context().newTimeEvent().registerRel(1, (ev, d, rc) -> {
                ran.incrementAndGet();
                throw new AssertionError("checked inside the callback");
            });
            driver.awaitUntil("the callback ran", () -> ran.get() == 1);
        }
    }

    /**
     * The loop thread is stuck in a callback of the test's own while a libxl timeout falls due: when the
     * test returns, the timeout is armed well past its deadline (I5). Closing the ctx (modify ASAP) frees the
     * stuck callback, so teardown completes.
     */
    static class StuckLoop {
        @XlbridgeDriverTest(loops = DriverLoop.EMBEDDED, livenessBoundMs = 20)
        void timeoutNeverFires(XlbridgeDriver driver) {
            CountDownLatch unstick = new CountDownLatch(1);
            CountDownLatch stuck = new CountDownLatch(1);
            driver.checker().addListener(new BridgeListener() {
                @Override
                public void timeoutModified(TimeoutRegistration reg, boolean raced) {
                    unstick.countDown();
                }
            });
            driver.loop().addTimeout(0, t -> {
                driver.loop().removeTimeout(t);
                stuck.countDown();
                await(unstick);
            }, null);
            await(stuck);
            long deadline = driver.clock().nanoTime() + 1_000_000L;
            driver.context().newTimeEvent().registerAbs(deadline, (ev, d, rc) -> { });
            // Let the deadline pass by more than the liveness bound while the loop is stuck.
            while (driver.clock().nanoTime() - deadline < 60_000_000L) {
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }

    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
