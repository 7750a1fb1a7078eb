package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * Bounded stress runs of the race harness on the embedded loop: the fixed protocol keeps every invariant
 * with one and with four dispatch threads while the race is actually hit; the legacy protocol, same seed
 * and load, is caught by the checker.
 */
class RaceStressTest {
    static final Duration RUN = Duration.ofSeconds(4);

    static RaceReport race(LoopKind loop, DeregistrationProtocol protocol, int dispatchThreads) throws Exception {
        RaceReport report = new RaceRunner(new RaceOptions(loop, protocol, dispatchThreads, RUN, 4, 42), null).run();
        System.out.print(report.table());
        return report;
    }

    @Test
    void asapModifyHoldsEveryInvariantWithOneDispatchThread() throws Exception {
        RaceReport r = race(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, 1);
        assertThat(r.violations()).allSatisfy((inv, n) -> assertThat(n).as(inv.name()).isZero());
        assertThat(r.racesSeen()).as("modify(ASAP) while firing must actually happen").isPositive();
        assertThat(r.registrations()).isGreaterThan(500);
        assertThat(r.legacyDeregisters()).isZero();
        assertThat(r.reentrancyProbes()).isPositive();
    }

    @Test
    void asapModifyHoldsEveryInvariantWithFourDispatchThreads() throws Exception {
        RaceReport r = race(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, 4);
        assertThat(r.violations()).allSatisfy((inv, n) -> assertThat(n).as(inv.name()).isZero());
        assertThat(r.racesSeen()).isPositive();
        assertThat(r.registrations()).isGreaterThan(500);
    }

    @Test
    void legacyDeregisterIsCaughtByTheChecker() throws Exception {
        RaceReport r = race(LoopKind.EMBEDDED, DeregistrationProtocol.LEGACY_DEREGISTER, 1);
        assertThat(r.passed()).isFalse();
        assertThat(r.violations().get(Invariant.I2)).as("early or stale fires").isPositive();
        assertThat(r.violations().get(Invariant.I3)).as("tokens used after libxl took them back").isPositive();
        assertThat(r.violations().get(Invariant.I1)).as("occurred consumed by the wrong event").isPositive();
    }

    @Test
    void legacyDeregisterIsCaughtWithFourDispatchThreads() throws Exception {
        RaceReport r = race(LoopKind.EMBEDDED, DeregistrationProtocol.LEGACY_DEREGISTER, 4);
        assertThat(r.passed()).isFalse();
        assertThat(r.violations().get(Invariant.I2)).isPositive();
    }
}
