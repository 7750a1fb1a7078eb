package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.libxl.DeregistrationProtocol;

/** The same stress on libvirt's own default loop (skips without libvirt0, never under CI=true). */
class LibvirtRaceStressTest {

    @BeforeAll
    static void needsLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void asapModifyHoldsEveryInvariantOnLibvirtsLoop() throws Exception {
        RaceReport r = RaceStressTest.race(LoopKind.LIBVIRT, DeregistrationProtocol.ASAP_MODIFY, 1);
        assertThat(r.violations()).allSatisfy((inv, n) -> assertThat(n).as(inv.name()).isZero());
        assertThat(r.racesSeen()).isPositive();
    }

    @Test
    void asapModifyHoldsWithFourDispatchThreadsOverLibvirtsLoop() throws Exception {
        RaceReport r = RaceStressTest.race(LoopKind.LIBVIRT, DeregistrationProtocol.ASAP_MODIFY, 4);
        assertThat(r.violations()).allSatisfy((inv, n) -> assertThat(n).as(inv.name()).isZero());
        assertThat(r.racesSeen()).isPositive();
    }

    @Test
    void legacyDeregisterIsCaughtOnLibvirtsLoop() throws Exception {
        RaceReport r = RaceStressTest.race(LoopKind.LIBVIRT, DeregistrationProtocol.LEGACY_DEREGISTER, 1);
        assertThat(r.passed()).isFalse();
        assertThat(r.violations().get(Invariant.I2)).isPositive();
    }
}
