package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.libvirt.RegisteredLoopAndDaemon;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libvirtd.PrivateLibvirtd;

/**
 * The soak's libvirt workload for about ten seconds on the embedded loop registered with libvirt, against a
 * private libvirtd killed and restarted twice, with listener throws: each restart injected and recovered,
 * each throw recovered (the auditor still got the event), no I9 violation, the books bounded, nothing left on
 * the loop after close. Runs in a JVM of its own (tag {@code libvirt-own-process}).
 */
@Tag("libvirt-own-process")
class LibvirtWorkloadTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private static RegisteredLoopAndDaemon env;
    private static PollEventLoop loop;
    private static LibvirtEventImpl impl;
    private static Thread loopThread;
    private static PrivateLibvirtd daemon;

    @BeforeAll
    static void startLoopAndDaemon() throws Exception {
        env = RegisteredLoopAndDaemon.start("soak-libvirt-test-loop");
        loop = env.loop();
        impl = env.impl();
        loopThread = env.loopThread();
        daemon = env.daemon();
    }

    @AfterAll
    static void stopAll() throws InterruptedException {
        if (env != null) {
            env.close();
        }
    }

    static void until(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("timed out waiting for " + what).isNegative();
            TimeUnit.MILLISECONDS.sleep(5); // bounded polling of counters
        }
    }

    @Test
    void twoRestartsAndListenerThrowsAreRecoveredWithoutAnI9Violation() throws Exception {
        FaultPlan plan = FaultPlan.none().with(FaultKind.LIBVIRTD_RESTART, 3.5).with(FaultKind.LISTENER_THROW, 0.02);
        FaultLedger faults = new FaultLedger();
        Map<String, Long> violations;
        LibvirtWorkload w = new LibvirtWorkload(loopThread, plan, faults, 42, 3, daemon);
        try {
            w.start();
            until(() -> faults.counts(FaultKind.LIBVIRTD_RESTART).injected() >= 2 && w.connection().isConnected()
                    && w.connection().generation() == 3, "two restarts and the second reconnect");
            long before = w.operations();
            until(() -> w.operations() > before + 300, "calls on the third connection");
            w.stop();
            violations = w.finish();
            System.out.println(w.summary());
        } finally {
            w.close();
        }
        FaultLedger.Counts restarts = faults.counts(FaultKind.LIBVIRTD_RESTART);
        FaultLedger.Counts throwsCounts = faults.counts(FaultKind.LISTENER_THROW);
        assertThat(violations).containsExactly(Map.entry("I9", 0L));
        assertThat(restarts.injected()).isEqualTo(2);
        assertThat(restarts.recovered()).isEqualTo(2);
        assertThat(w.connection().generation()).isEqualTo(3);
        assertThat(w.operations()).as("libvirt calls that returned").isGreaterThan(100);
        assertThat(throwsCounts.injected()).as("listener throws injected").isPositive();
        assertThat(throwsCounts.recovered()).as("each throw: the auditor still got the event")
                .isEqualTo(throwsCounts.injected());
        assertThat(w.connection().listenerFailures()).isEqualTo(throwsCounts.injected());
        assertThat(w.liveDomains()).as("books settled and forgotten").isZero();
        assertThat(w.foldedDomains()).isPositive();
        until(() -> impl.liveRegistrations() == 0, "the workload's registrations to be freed (live: " + impl + ")");
        assertThat(loop.stats().liveHandles()).isZero();
        assertThat(loop.stats().liveTimeouts()).isZero();
    }

    /**
     * The long run, behind the tag {@code soak}: {@code -Dsoak.libvirt.seconds} (default 120) of churn with
     * the default plan's restart period and throw probability; every restart recovered, no I9 violation, and
     * the open books stay bounded (a constant, not growing with the run) however many domains went through.
     */
    @Test
    @Tag("soak")
    void aLongRunWithTheDefaultFaultsStaysExactAndBounded() throws Exception {
        long seconds = Long.getLong("soak.libvirt.seconds", 120);
        int clients = 4;
        FaultPlan plan = FaultPlan.none()
                .with(FaultKind.LIBVIRTD_RESTART, FaultKind.LIBVIRTD_RESTART.defaultValue())
                .with(FaultKind.LISTENER_THROW, FaultKind.LISTENER_THROW.defaultValue());
        FaultLedger faults = new FaultLedger();
        Map<String, Long> violations;
        AtomicInteger maxLive = new AtomicInteger();
        LibvirtWorkload w = new LibvirtWorkload(loopThread, plan, faults, 7, clients, daemon);
        long t0 = System.nanoTime();
        long ops;
        try {
            w.start();
            long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() - end < 0) {
                maxLive.accumulateAndGet(w.liveDomains(), Math::max);
                TimeUnit.MILLISECONDS.sleep(50); // sampling, not synchronisation
            }
            until(() -> faults.counts(FaultKind.LIBVIRTD_RESTART).recovered()
                    >= faults.counts(FaultKind.LIBVIRTD_RESTART).injected(), "the last restart recovered");
            w.stop();
            violations = w.finish();
            ops = w.operations();
            System.out.printf("soak libvirt: %d s, %d calls, %.0f calls/s, open books max %d, folded %d%n%s%n",
                    seconds, ops, ops / ((System.nanoTime() - t0) / 1e9), maxLive.get(), w.foldedDomains(),
                    w.summary());
        } finally {
            w.close();
        }
        assertThat(violations).containsExactly(Map.entry("I9", 0L));
        FaultLedger.Counts restarts = faults.counts(FaultKind.LIBVIRTD_RESTART);
        assertThat(restarts.injected()).isGreaterThanOrEqualTo(seconds * 1000 / plan.millis(FaultKind.LIBVIRTD_RESTART) - 1);
        assertThat(restarts.recovered()).isEqualTo(restarts.injected());
        assertThat(faults.counts(FaultKind.LISTENER_THROW).recovered())
                .isEqualTo(faults.counts(FaultKind.LISTENER_THROW).injected());
        // Open books = the clients' domains in flight + domains whose events still wait in the loop's queue: a
        // constant (the event lag times the call rate), whatever the run's length.
        assertThat(maxLive.get()).as("open books bounded, not growing with the run").isLessThanOrEqualTo(2_000);
        until(() -> impl.liveRegistrations() == 0, "the workload's registrations to be freed (live: " + impl + ")");
    }
}
