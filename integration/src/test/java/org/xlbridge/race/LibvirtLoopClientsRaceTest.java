package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * {@code xlbridge race --loop libvirt --libvirt-uri test:///default}: on libvirt's own default loop the
 * libvirt-java clients' events arrive exactly once, in order, on the loop thread, beside the libxl race.
 * Uses libvirt's default implementation, like {@link LibvirtRaceStressTest}, so it shares their JVM.
 */
class LibvirtLoopClientsRaceTest {

    @BeforeAll
    static void needsLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void libvirtClientsOnLibvirtsLoopGetEveryEventExactlyOnceBesideTheLibxlRace() throws Exception {
        RaceReport r = new RaceRunner(new RaceOptions(LoopKind.LIBVIRT, DeregistrationProtocol.ASAP_MODIFY, 1,
                Duration.ofSeconds(3), 4, 42, "test:///default", 2), null).run();
        System.out.print(r.table());
        LibvirtReport lv = r.libvirt();
        assertThat(lv.apiErrors()).isZero();
        assertThat(lv.eventsExpected()).isEqualTo(lv.operations()).isPositive();
        assertThat(lv.eventsDelivered()).isEqualTo(lv.eventsExpected());
        assertThat(lv.i9Violations()).isZero();
        assertThat(r.violations()).allSatisfy((inv, n) -> assertThat(n).as(inv.name()).isZero());
        assertThat(r.passed()).isTrue();
    }
}
