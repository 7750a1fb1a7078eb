package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * The xl workload of the soak on the embedded loop with every one of its fault kinds, state restarts every
 * 1.5 s included: each kind is injected and recovered, no invariant is broken, nothing unexpected fails, and
 * nothing of any state is left on the loop.
 */
class XlWorkloadTest {
    private static final Set<FaultKind> MINE = EnumSet.of(FaultKind.GUEST_CRASH, FaultKind.GUEST_SILENT,
            FaultKind.ABORT, FaultKind.STATE_RESTART, FaultKind.LISTENER_THROW);

    private PollEventLoop loop;
    private Thread loopThread;

    @BeforeEach
    void start() {
        loop = new PollEventLoop();
        loopThread = new Thread(loop::run, "soak-test-loop");
        loopThread.setDaemon(true);
        loopThread.start();
    }

    @AfterEach
    void stop() {
        loop.stop();
        Await.join(loopThread);
        loop.close();
    }

    static FaultPlan plan() {
        return FaultPlan.none().with(FaultKind.GUEST_CRASH, 0.03).with(FaultKind.GUEST_SILENT, 0.2)
                .with(FaultKind.ABORT, 0.03).with(FaultKind.STATE_RESTART, 1.5).with(FaultKind.LISTENER_THROW, 0.02);
    }

    private boolean everyKindRecovered(FaultLedger ledger, XlWorkload w, int minRestarts) {
        for (FaultKind k : MINE) {
            if (ledger.counts(k).recovered() == 0) {
                return false;
            }
        }
        return w.restarts()[0] >= minRestarts;
    }

    @Test
    void everyFaultKindIsInjectedAndRecoveredWithNoViolation() throws Exception {
        EventLoopStats before = loop.stats();
        FaultLedger ledger = new FaultLedger();
        XlWorkload w = new XlWorkload(loop, loopThread, DeregistrationProtocol.ASAP_MODIFY, plan(), ledger, 11, 16, 4);
        Map<String, Long> violations;
        try {
            w.start();
            // Run at least 6 s and until every kind was recovered from and 3 restarts happened (at most 30 s).
            long t0 = System.nanoTime();
            long deadline = t0 + 30_000_000_000L;
            while (System.nanoTime() < deadline
                    && (System.nanoTime() - t0 < 6_000_000_000L || !everyKindRecovered(ledger, w, 3))) {
                Await.sleep(50);
            }
            assertThat(w.violationsSoFar()).isZero();
            w.stop();
            violations = w.finish();
        } finally {
            w.close();
        }
        String summary = w.summary() + " " + ledger.snapshot() + " " + w.notes();
        assertThat(violations).as(summary).containsOnlyKeys("I1", "I2", "I3", "I4", "I7", "I9", "I10");
        assertThat(violations.values()).as(summary).allMatch(v -> v == 0);
        for (FaultKind k : MINE) {
            FaultLedger.Counts c = ledger.counts(k);
            assertThat(c.injected()).as(k + " injected: " + summary).isPositive();
            assertThat(c.recovered()).as(k + " recovered: " + summary).isPositive();
            assertThat(c.recovered()).as(k + " recovered <= injected").isLessThanOrEqualTo(c.injected());
        }
        // Every injected fault is recovered, unless a restart cut it short.
        long lost = 0;
        for (FaultKind k : EnumSet.of(FaultKind.GUEST_CRASH, FaultKind.GUEST_SILENT, FaultKind.ABORT)) {
            lost += ledger.counts(k).injected() - ledger.counts(k).recovered();
        }
        assertThat(lost).as(summary).isEqualTo(w.faultsInterruptedByRestart());
        FaultLedger.Counts throwsSeen = ledger.counts(FaultKind.LISTENER_THROW);
        assertThat(throwsSeen.injected() - throwsSeen.recovered()).as(summary)
                .isEqualTo(w.listenerThrowsCutByRestart());
        assertThat(w.faultsNotRecovered()).as(summary).isZero();
        assertThat(w.unexpectedFailures()).as(summary).isZero();
        assertThat(w.restarts()[1]).as("restarts with operations pending: " + summary).isPositive();
        assertThat(w.operations()).isPositive();
        assertThat(w.pendingOperations()).isZero();
        assertThat(w.bridgeRegistrations()).isZero();
        assertThat(w.busyNexi()).isZero();
        Await.until(() -> loop.stats().pendingFrees() == 0, "the loop's frees");
        assertThat(loop.stats().liveTimeouts()).isEqualTo(before.liveTimeouts());
        assertThat(loop.stats().liveHandles()).isEqualTo(before.liveHandles());
    }
}
