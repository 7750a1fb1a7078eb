package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.FdEvent;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.TimeEvent;
import org.xlbridge.posix.Posix;

/**
 * The three deterministic cases of the bridge, on a {@link ManualEventLoop} wired in by a Guice override:
 * (a) modify(ASAP) while the dispatch is between disable and occurredTimeout, (b) modify(ASAP) before
 * dispatch, (c) closing a ctx that holds 1,000 timeouts and 10 fd watches.
 */
class BridgeRaceDeterministicTest {

    /** Blocks the dispatch thread after it has taken the registration and disabled the timer. */
    static final class HoldingListener implements BridgeListener {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger raced = new AtomicInteger();
        final AtomicInteger frees = new AtomicInteger();
        final List<String> violations = new ArrayList<>();

        @Override
        public void beforeOccurredTimeout(TimeoutRegistration reg) {
            entered.countDown();
            try {
                assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void timeoutModified(TimeoutRegistration reg, boolean wasRacing) {
            if (wasRacing) {
                raced.incrementAndGet();
            }
        }

        @Override
        public void timeoutFreed(TimeoutRegistration reg, int previousState) {
            frees.incrementAndGet();
        }

        @Override
        public synchronized void violation(String what) {
            violations.add(what);
        }
    }

    @Test
    void a_modifyWhileFiringIsIgnoredAndOccurredIsDeliveredOnce() throws Exception {
        HoldingListener listener = new HoldingListener();
        ManualDriver d = new ManualDriver(new ManualEventLoop(), listener);
        AtomicInteger fired = new AtomicInteger();
        TimeEvent e = d.ctx.newTimeEvent();
        e.registerRel(10, (ev, deadline, rc) -> fired.incrementAndGet());

        AtomicReference<Throwable> dispatchError = new AtomicReference<>();
        Thread dispatcher = new Thread(() -> {
            try {
                d.loop.advance(Duration.ofMillis(10));
            } catch (Throwable t) {
                dispatchError.set(t);
            }
        }, "manual-dispatch");
        dispatcher.start();
        assertThat(listener.entered.await(10, TimeUnit.SECONDS)).as("dispatch reached the window").isTrue();

        // The dispatch has won the registration and disabled the timer; libxl now deregisters E.
        e.deregister();
        assertThat(d.bridge.stats().modifyWhileFiring()).as("the race was seen").isEqualTo(1);
        assertThat(d.bridge.stats().occurredDelivered()).isZero();

        listener.release.countDown();
        dispatcher.join(10_000);
        assertThat(dispatcher.isAlive()).isFalse();
        assertThat(dispatchError.get()).isNull();
        d.loop.runDue(); // frees run on the loop's thread

        BridgeStats b = d.bridge.stats();
        assertThat(b.occurredDelivered()).as("exactly one occurredTimeout").isEqualTo(1);
        assertThat(b.timeoutFrees()).as("one free").isEqualTo(1);
        assertThat(listener.frees.get()).isEqualTo(1);
        assertThat(listener.raced.get()).isEqualTo(1);
        assertThat(b.violations()).isZero();
        assertThat(listener.violations).isEmpty();
        assertThat(fired.get()).as("the deregistered event never fires").isZero();
        assertThat(d.ctx.stats().staleTimeoutsDiscarded()).as("ctx discarded the late occurred").isEqualTo(1);
        assertQuiescent(d);
    }

    @Test
    void b_modifyBeforeDispatchFiresAtOnceAndIsDiscarded() {
        ManualDriver d = new ManualDriver(new ManualEventLoop(), BridgeListener.NONE);
        AtomicInteger fired = new AtomicInteger();
        TimeEvent e = d.ctx.newTimeEvent();
        e.registerRel(60_000, (ev, deadline, rc) -> fired.incrementAndGet());
        long before = d.loop.nanoTime();

        e.deregister(); // modify(ASAP): the timer's frequency becomes 0
        assertThat(d.bridge.stats().modifyAsapCalls()).isEqualTo(1);
        d.loop.runDue(); // no virtual time passes
        d.loop.runDue();

        assertThat(d.loop.nanoTime()).isEqualTo(before);
        BridgeStats b = d.bridge.stats();
        assertThat(b.occurredDelivered()).isEqualTo(1);
        assertThat(b.modifyWhileFiring()).isZero();
        assertThat(b.timeoutFrees()).isEqualTo(1);
        assertThat(fired.get()).isZero();
        assertThat(d.ctx.stats().staleTimeoutsDiscarded()).isEqualTo(1);
        assertQuiescent(d);
    }

    @Test
    void c_closingACtxWithThousandTimeoutsAndTenFdsLeavesNothingBehind() {
        ManualDriver d = new ManualDriver(new ManualEventLoop(), BridgeListener.NONE);
        AtomicInteger fired = new AtomicInteger();
        for (int i = 0; i < 1000; i++) {
            d.ctx.newTimeEvent().registerRel(1 + (i * 37L) % 50_000, (ev, deadline, rc) -> fired.incrementAndGet());
        }
        List<int[]> pipes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int[] p = new int[2];
            Posix.pipe2(p, Posix.O_CLOEXEC);
            pipes.add(p);
            FdEvent fe = d.ctx.newFdEvent();
            fe.register(p[0], Posix.POLLIN, (ev, fd, events, revents) -> fired.incrementAndGet());
        }
        assertThat(d.bridge.stats().liveTimeouts()).isEqualTo(1000);
        assertThat(d.bridge.stats().liveFds()).isEqualTo(10);
        assertThat(d.loop.stats().liveTimeouts()).isEqualTo(1000);
        assertThat(d.loop.stats().liveHandles()).isEqualTo(10);

        d.ctx.close();
        assertThat(d.bridge.stats().modifyAsapCalls()).isEqualTo(1000);
        d.loop.runDue(); // every timer is now due at once and fires into the closed ctx
        d.loop.runDue();

        BridgeStats b = d.bridge.stats();
        assertThat(fired.get()).as("no callback runs after close").isZero();
        assertThat(b.occurredDelivered()).isEqualTo(1000);
        assertThat(b.timeoutFrees()).isEqualTo(1000);
        assertThat(b.fdFrees()).isEqualTo(10);
        assertThat(b.violations()).isZero();
        assertQuiescent(d);
        for (int[] p : pipes) {
            Posix.close(p[0]);
            Posix.close(p[1]);
        }
    }

    /** I4: nothing live in the loop, the bridge or the ctx. */
    static void assertQuiescent(ManualDriver d) {
        EventLoopStats l = d.loop.stats();
        assertThat(l.liveTimeouts()).as("loop timeouts").isZero();
        assertThat(l.liveHandles()).as("loop handles").isZero();
        assertThat(l.pendingFrees()).as("loop frees pending").isZero();
        BridgeStats b = d.bridge.stats();
        assertThat(b.liveTimeouts()).as("bridge timeouts").isZero();
        assertThat(b.liveFds()).as("bridge fds").isZero();
        assertThat(d.bridge.isDrained()).isTrue();
        LibxlStats c = d.ctx.stats();
        assertThat(c.timeoutNexiInUse()).as("busy timeout nexi").isZero();
        assertThat(c.fdNexiInUse()).as("busy fd nexi").isZero();
        assertThat(c.registeredTimeEvents()).isZero();
        assertThat(c.registeredFdEvents()).isZero();
    }
}
