package org.xlbridge.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * {@code xlbridge host --over-daemon}: the simulated host served by the daemon, its clients and both checking
 * connections libvirt-java connections over {@code xen+unix://}, the embedded loop registered as libvirt's
 * event implementation (so this class runs in a JVM of its own). A short run passes with every event that
 * the daemon's driver produced delivered over the wire once, in order, on the loop thread, and the two
 * connections agreeing.
 */
@Tag("libvirt-own-process")
class HostOverDaemonLibvirtTest {
    @Test
    void aShortRunOverTheDaemonPassesWithEveryEventDeliveredOverTheWire(@TempDir Path dir) throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        HostOptions o = new HostOptions(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, 40, 4,
                Duration.ofSeconds(3), 7, Duration.ofMillis(30), 40, true);
        HostReport r = new HostRunner(o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run();
        assertThat(r.passed()).as(r.table()).isTrue();
        assertThat(r.operations().total()).isPositive();
        assertThat(r.events().expected()).as(r.table()).isPositive();
        assertThat(r.events().delivered()).isEqualTo(r.events().expected());
        assertThat(r.events().comparedAcrossConnections()).as("a second connection compared over the wire")
                .isEqualTo(r.events().expected());
        assertThat(r.daemon()).isNotNull();
        // 4 clients + 2 checking connections, every one through the daemon; each event went to both watchers
        assertThat(r.daemon().connectionsAccepted()).isEqualTo(6);
        assertThat(r.daemon().eventsSent()).isGreaterThanOrEqualTo(2 * r.events().expected());
        assertThat(r.libxl().started()).as("the daemon's xl driver counters are read").isPositive();
        assertThat(LibvirtEventImpl.current()).as("the run made the loop libvirt's event implementation").isPresent();

        Path json = dir.resolve("h.json");
        r.writeJson(json);
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertThat(n.get("overDaemon").asBoolean()).isTrue();
        assertThat(n.get("result").asText()).isEqualTo("PASS");
        assertThat(n.get("daemon").get("eventsSent").asLong()).isEqualTo(r.daemon().eventsSent());
        assertThat(n.get("events").get("delivered").asLong()).isPositive();
        for (String k : HostReport.INVARIANTS) {
            assertThat(n.get("violations").get(k).asLong()).as(k).isZero();
        }
    }
}
