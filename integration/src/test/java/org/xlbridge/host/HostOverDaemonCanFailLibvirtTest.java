package org.xlbridge.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * The over-the-wire check of {@code xlbridge host --over-daemon} can fail: between the checking libvirt-java
 * connection and its I9 listeners (audit and cross-connection comparison) a tap hands the 10th event that
 * crossed the wire over twice and swallows the 30th. The run must then FAIL on I9: a duplicate (or an event
 * out of its domain's order), a lost one (or a later event of its domain out of order), and the other
 * connection's sequence differing. In a JVM of its own (it registers the loop with libvirt).
 */
@Tag("libvirt-own-process")
class HostOverDaemonCanFailLibvirtTest {
    @Test
    void aDuplicatedAndASwallowedEventOverTheWireFailI9() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        AtomicInteger seen = new AtomicInteger();
        HostOptions o = new HostOptions(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, 40, 4,
                Duration.ofSeconds(3), 7, Duration.ofMillis(30), 40, true);
        HostReport r = new HostRunner(o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                listener -> (LifecycleListener) (d, e) -> {
                    int n = seen.incrementAndGet();
                    if (n == 30) {
                        return; // swallowed
                    }
                    listener.onLifecycleChange(d, e);
                    if (n == 10) {
                        listener.onLifecycleChange(d, e); // twice
                    }
                }).run();
        assertThat(seen.get()).as("events crossed the wire").isGreaterThan(30);
        assertThat(r.passed()).as(r.table()).isFalse();
        EventCounts e = r.events();
        assertThat(e.duplicated() + e.outOfOrder()).as(r.table()).isPositive();
        assertThat(e.lost() + e.outOfOrder()).as(r.table()).isPositive();
        assertThat(e.violations()).as(r.table()).isGreaterThanOrEqualTo(2);
        assertThat(e.differentAcrossConnections()).as(r.table()).isPositive();
        assertThat(r.violations().get("I9")).isEqualTo(e.violations());
        // the rest of the run was sound: only I9 fails
        r.violations().forEach((k, v) -> {
            if (!k.equals("I9")) {
                assertThat(v).as(k).isZero();
            }
        });
    }
}
