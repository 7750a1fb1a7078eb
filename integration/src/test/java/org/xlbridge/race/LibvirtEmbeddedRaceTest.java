package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.OwnProcess;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * {@code xlbridge race --loop embedded --libvirt-uri test:///default}: the embedded loop becomes libvirt's
 * event implementation, two libvirt-java clients churn domains on it while the libxl race runs, and every
 * lifecycle event arrives exactly once, in order, on the loop thread (I9), with I1–I8 intact. Registers
 * the embedded loop with libvirt, so it runs in a JVM of its own (tag {@code libvirt-own-process}).
 */
@Tag(OwnProcess.TAG)
class LibvirtEmbeddedRaceTest {

    @BeforeAll
    static void needsLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void libvirtClientsOnTheEmbeddedLoopGetEveryEventExactlyOnceBesideTheLibxlRace() throws Exception {
        RaceReport r = new RaceRunner(new RaceOptions(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, 1,
                Duration.ofSeconds(3), 4, 42, "test:///default", 2), null).run();
        System.out.print(r.table());
        LibvirtReport lv = r.libvirt();
        assertThat(lv.operations()).isPositive();
        assertThat(lv.apiErrors()).isZero();
        assertThat(lv.eventsExpected()).isEqualTo(lv.operations()).isPositive();
        assertThat(lv.eventsDelivered()).isEqualTo(lv.eventsExpected());
        assertThat(lv.i9Violations()).isZero();
        assertThat(r.violations()).allSatisfy((inv, n) -> assertThat(n).as(inv.name()).isZero());
        assertThat(r.racesSeen()).isPositive();
        assertThat(r.passed()).isTrue();
        // the race's own loop was libvirt's implementation, and libvirt left nothing on it
        LibvirtEventImpl impl = LibvirtEventImpl.current().orElseThrow();
        assertThat(impl.loop()).isInstanceOf(PollEventLoop.class);
        assertThat(impl.liveRegistrations()).isZero();
        assertThat(r.json().get("libvirt").get("eventsDelivered").asLong()).isEqualTo(lv.eventsExpected());
    }
}
