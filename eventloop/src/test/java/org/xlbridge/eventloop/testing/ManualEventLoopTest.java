package org.xlbridge.eventloop.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.HandleEvents;

/** The virtual-time behaviour of {@link ManualEventLoop} that driver tests rely on. */
class ManualEventLoopTest {
    private static final long MS = 1_000_000L;

    private final ManualEventLoop loop = new ManualEventLoop();

    @AfterEach
    void close() {
        loop.close();
    }

    @Test
    void advanceRunsDueTimersInExpiryOrderWithTiesInRegistrationOrder() {
        List<String> order = new ArrayList<>();
        loop.addTimeout(30, t -> order.add("c30"), null);
        loop.addTimeout(10, t -> order.add("a10"), null);
        loop.addTimeout(20, t -> order.add("b20"), null);
        loop.addTimeout(10, t -> order.add("d10"), null);
        loop.advance(Duration.ofMillis(30));
        // Periodic: at 10 a, d; at 20 a, b, d (ties by registration); at 30 c (registered first), a, d.
        assertThat(order).containsExactly("a10", "d10", "a10", "b20", "d10", "c30", "a10", "d10");
        assertThat(loop.nanoTime()).isEqualTo(30 * MS);
    }

    @Test
    void aPeriodicTimerFiresOncePerPeriodThatFitsAtItsExactExpiry() {
        List<Long> at = new ArrayList<>();
        loop.addTimeout(10, t -> at.add(loop.nanoTime()), null);
        loop.advance(Duration.ofMillis(35));
        assertThat(at).containsExactly(10 * MS, 20 * MS, 30 * MS);
        assertThat(loop.stats().maxLatenessNanos()).as("virtual time is never late").isZero();
        assertThat(loop.timeoutExpiry(1)).hasValue(40 * MS);
    }

    @Test
    void nothingFiresBeforeItsExpiry() {
        AtomicInteger fired = new AtomicInteger();
        loop.addTimeout(10, t -> fired.incrementAndGet(), null);
        loop.advance(Duration.ofNanos(10 * MS - 1));
        assertThat(fired).hasValue(0);
        loop.advance(Duration.ofNanos(1));
        assertThat(fired).hasValue(1);
    }

    @Test
    void updateRebasesFromVirtualNowAndMinusOneDisables() {
        AtomicInteger fired = new AtomicInteger();
        int t = loop.addTimeout(10, x -> fired.incrementAndGet(), null);
        loop.advance(Duration.ofMillis(7));
        loop.updateTimeout(t, 10);
        assertThat(loop.timeoutExpiry(t)).hasValue(17 * MS);
        loop.advance(Duration.ofMillis(9));
        assertThat(fired).hasValue(0);
        loop.advance(Duration.ofMillis(1));
        assertThat(fired).hasValue(1);
        loop.updateTimeout(t, -1);
        loop.advance(Duration.ofSeconds(10));
        assertThat(fired).hasValue(1);
        assertThat(loop.isTimeoutLive(t)).isTrue();
    }

    @Test
    void frequencyZeroFiresOncePerPassAndATimerEnabledInAPassWaitsForTheNext() {
        List<String> fired = new ArrayList<>();
        int disabled = loop.addTimeout(-1, t -> fired.add("enabled"), null);
        loop.addTimeout(0, t -> {
            if (fired.add("zero") && fired.size() == 1) {
                loop.updateTimeout(disabled, 0); // due now, but this pass has begun
            }
        }, null);
        loop.runDue();
        assertThat(fired).containsExactly("zero");
        loop.runOnce();
        assertThat(fired).containsExactly("zero", "enabled", "zero");
        assertThat(loop.stats().iterations()).isEqualTo(2);
    }

    @Test
    void handlesFireOnlyWhenTheTestSaysSoAndOnlyWithWatchedEventsPlusErrorAndHangup() {
        List<Integer> seen = new ArrayList<>();
        int w = loop.addHandle(5, HandleEvents.READABLE, (watch, fd, ev) -> seen.add(ev), null);
        loop.advance(Duration.ofSeconds(1));
        assertThat(seen).isEmpty();
        assertThat(loop.fireHandle(w, HandleEvents.READABLE | HandleEvents.WRITABLE)).isTrue();
        assertThat(loop.fireHandle(w, HandleEvents.WRITABLE)).as("not watched").isFalse();
        assertThat(loop.fireHandle(w, HandleEvents.ERROR | HandleEvents.HANGUP)).isTrue();
        assertThat(seen).containsExactly(HandleEvents.READABLE, HandleEvents.ERROR | HandleEvents.HANGUP);
        loop.updateHandle(w, 0);
        assertThat(loop.fireHandle(w, HandleEvents.ERROR)).as("a handle watching nothing").isFalse();
        assertThatThrownBy(() -> loop.fireHandle(w, 64)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCallbackRemovingItselfGetsItsFreeAfterItReturnsOnTheDrivingThread() {
        AtomicInteger frees = new AtomicInteger();
        AtomicReference<Thread> freeThread = new AtomicReference<>();
        AtomicInteger freesSeenInCallback = new AtomicInteger(-1);
        loop.addTimeout(5, t -> {
            loop.removeTimeout(t);
            freesSeenInCallback.set(frees.get());
        }, () -> {
            frees.incrementAndGet();
            freeThread.set(Thread.currentThread());
        });
        loop.advance(Duration.ofMillis(5));
        assertThat(freesSeenInCallback).hasValue(0);
        assertThat(frees).hasValue(1);
        assertThat(freeThread.get()).isSameAs(Thread.currentThread());
        assertThat(loop.stats().pendingFrees()).isZero();
    }

    @Test
    void drivingTheLoopFromItsOwnCallbackIsRefused() {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        loop.addTimeout(1, t -> {
            try {
                loop.advance(Duration.ofMillis(1));
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, null);
        loop.advance(Duration.ofMillis(1));
        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("inside");
    }

    @Test
    void badArgumentsAndAClosedLoopThrow() {
        assertThatThrownBy(() -> loop.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.advance(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.addTimeout(-2, t -> { }, null)).isInstanceOf(IllegalArgumentException.class);
        AtomicInteger frees = new AtomicInteger();
        loop.addTimeout(10, t -> { }, frees::incrementAndGet);
        loop.close();
        assertThat(frees).as("close runs the outstanding free").hasValue(1);
        assertThatThrownBy(() -> loop.advance(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(loop::runDue).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFollowingLoopKeepsItsClockUpWithTheFollowedOne() {
        AtomicLong real = new AtomicLong(1_000 * MS);
        ManualEventLoop following = ManualEventLoop.following(real::get);
        try {
            AtomicInteger fired = new AtomicInteger();
            assertThat(following.nanoTime()).isEqualTo(1_000 * MS);
            following.addTimeout(10, t -> fired.incrementAndGet(), null);
            real.addAndGet(9 * MS);
            following.runDue();
            assertThat(fired).hasValue(0);
            real.addAndGet(MS);
            following.runDue();
            assertThat(fired).hasValue(1);
            following.advance(Duration.ofMillis(50));
            assertThat(following.nanoTime()).as("advance may run ahead").isEqualTo(1_060 * MS);
            real.addAndGet(5 * MS);
            assertThat(following.nanoTime()).as("and the followed clock does not pull it back")
                    .isEqualTo(1_060 * MS);
        } finally {
            following.close();
        }
        assertThatThrownBy(() -> ManualEventLoop.following(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anInterruptDoesNotEndAFollowingRunAndIsKeptForTheCaller() throws Exception {
        ManualEventLoop following = ManualEventLoop.following(System::nanoTime);
        try {
            following.addTimeout(3_600_000, t -> { }, null); // run() waits on this, with a deadline
            AtomicInteger fired = new AtomicInteger();
            AtomicReference<Boolean> interruptedAfterRun = new AtomicReference<>();
            Thread runner = new Thread(() -> {
                following.run();
                interruptedAfterRun.set(Thread.currentThread().isInterrupted());
            }, "following-run");
            runner.start();
            runner.interrupt();
            // Still running after the interrupt: a new zero-delay timer is dispatched by it.
            following.addTimeout(0, t -> {
                fired.incrementAndGet();
                following.removeTimeout(t);
            }, null);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (fired.get() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(fired).as("the run survived the interrupt").hasValue(1);
            following.stop();
            runner.join(Duration.ofSeconds(30).toMillis());
            assertThat(runner.isAlive()).isFalse();
            assertThat(interruptedAfterRun.get()).as("the interrupt is given back").isTrue();
        } finally {
            following.close();
        }
    }
}
