package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.time.TimeSource;

/**
 * The probe on the virtual-time loop: the loop fires exactly at the expiry, and the probe's clock is the
 * loop's plus an offset the test sets, which makes a fire run as late as the test wants.
 */
class LatenessProbeTest {
    private final ManualEventLoop loop = new ManualEventLoop();
    private final AtomicLong extraNanos = new AtomicLong();
    private final TimeSource clock = () -> loop.nanoTime() + extraNanos.get();

    @AfterEach
    void closeLoop() {
        loop.close();
    }

    @Test
    void punctualFiresReadZero() {
        LatenessProbe probe = LatenessProbe.start(loop, 10, clock);
        loop.advance(Duration.ofMillis(100));
        assertThat(probe.fires()).isEqualTo(10);
        assertThat(probe.intervalP99Micros()).isZero();
    }

    @Test
    void aLateFireIsMeasuredInItsIntervalOnly() {
        LatenessProbe probe = LatenessProbe.start(loop, 10, clock);
        loop.advance(Duration.ofMillis(50));
        // The next fire runs 3 ms after it was due.
        extraNanos.set(TimeUnit.MILLISECONDS.toNanos(3));
        loop.advance(Duration.ofMillis(10));
        loop.advance(Duration.ofMillis(30));
        assertThat(probe.fires()).isEqualTo(9);
        assertThat(probe.intervalP99Micros()).isBetween(2990L, 3010L);
        // The next interval starts afresh; the late fire's delay is not carried into the next fires.
        loop.advance(Duration.ofMillis(50));
        assertThat(probe.intervalP99Micros()).isZero();
    }

    @Test
    void aStalledLoopReadsAsOverdue() {
        LatenessProbe probe = LatenessProbe.start(loop, 10, clock);
        loop.advance(Duration.ofMillis(20));
        assertThat(probe.intervalP99Micros()).isZero();
        // 50 ms pass and the loop runs nothing: the next fire is 40 ms overdue.
        extraNanos.set(TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(probe.intervalP99Micros()).isBetween(39_900L, 40_100L);
    }

    @Test
    void delaysInsideAnExclusionWindowAreLeftOut() {
        LatenessProbe probe = LatenessProbe.start(loop, 10, clock);
        loop.advance(Duration.ofMillis(10));
        probe.excludeFrom(clock.nanoTime());
        extraNanos.set(TimeUnit.MILLISECONDS.toNanos(25)); // the sampler's forced GC
        probe.excludeUntil(clock.nanoTime());
        loop.advance(Duration.ofMillis(10));
        assertThat(probe.excludedFires()).isEqualTo(1);
        assertThat(probe.intervalP99Micros()).isZero();
        // Outside the window a delay counts again.
        extraNanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(4));
        loop.advance(Duration.ofMillis(10));
        assertThat(probe.excludedFires()).isEqualTo(1);
        assertThat(probe.intervalP99Micros()).isBetween(3990L, 4010L);
    }

    @Test
    void aFireDuringAnOpenWindowIsLeftOut() {
        LatenessProbe probe = LatenessProbe.start(loop, 10, clock);
        loop.advance(Duration.ofMillis(10));
        probe.excludeFrom(clock.nanoTime());
        // The loop thread runs a delayed fire while the sampler's GC is still under way.
        extraNanos.set(TimeUnit.MILLISECONDS.toNanos(20));
        loop.advance(Duration.ofMillis(10));
        assertThat(probe.excludedFires()).isEqualTo(1);
        probe.excludeUntil(clock.nanoTime());
        assertThat(probe.intervalP99Micros()).isZero();
    }

    @Test
    void onARealLoopThreadItFiresAndLeavesNothingBehind() throws Exception {
        PollEventLoop real = new PollEventLoop();
        Thread t = new Thread(real::run, "probe-test-loop");
        t.start();
        try {
            LatenessProbe probe = LatenessProbe.start(real, 2);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (probe.fires() < 20 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(probe.fires()).isGreaterThanOrEqualTo(20);
            assertThat(probe.intervalP99Micros()).isNotNegative();
            probe.close();
            assertThat(probe.awaitFreed(Duration.ofSeconds(20))).isTrue();
            assertThat(real.stats().liveTimeouts()).isZero();
            assertThat(real.stats().pendingFrees()).isZero();
        } finally {
            real.stop();
            t.join(20_000);
            real.close();
        }
    }

    @Test
    void closeRemovesTheTimerAndTheLoopFreesIt() throws InterruptedException {
        LatenessProbe probe = LatenessProbe.start(loop, 10, clock);
        assertThat(loop.liveTimeouts()).containsExactly(probe.timerId());
        probe.close();
        probe.close();
        loop.runDue();
        assertThat(probe.awaitFreed(Duration.ofSeconds(5))).isTrue();
        assertThat(loop.liveTimeouts()).isEmpty();
        assertThat(loop.stats().liveTimeouts()).isZero();
        long fires = probe.fires();
        loop.advance(Duration.ofMillis(100));
        assertThat(probe.fires()).isEqualTo(fires);
        // A closed probe is not "overdue".
        assertThat(probe.intervalP99Micros()).isZero();
    }

    @Test
    void badArgumentsAreRefusedAndNothingIsRegistered() {
        assertThatThrownBy(() -> LatenessProbe.start(loop, 0, clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("period 0 ms");
        assertThatThrownBy(() -> LatenessProbe.start(null, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null loop");
        assertThatThrownBy(() -> LatenessProbe.start(loop, 10, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null clock");
        assertThat(loop.liveTimeouts()).isEmpty();
    }
}
