package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * The bounded soak of CI (issue 14's "about 60 s, every fault kind injected at least once"): the whole
 * soak — libxl race, xl driver clients, libvirt clients on a private libvirtd — on the embedded loop
 * registered as libvirt's event implementation, with every fault kind at its default except the
 * periodic ones, shortened so that each happens more than once, and the small-heap child run. It must
 * pass: no invariant violated, every series flat, every fault kind injected and recovered, the plots and
 * the JSON written. The embedded loop becomes libvirt's event implementation, so this runs in a JVM of
 * its own (tag {@code libvirt-own-process}). Without libvirt it skips, except under {@code CI=true}.
 */
@Tag("libvirt-own-process")
class SoakLibvirtDaemonTest {
    @Test
    void sixtySecondsOfEverythingWithEveryFaultPasses() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        LibvirtAssumptions.assumeLibvirtd();
        Path dir = Path.of("target", "soak-ci").toAbsolutePath();
        FaultPlan faults = FaultPlan.defaults()
                .with(FaultKind.LIBVIRTD_RESTART, 15)
                .with(FaultKind.STATE_RESTART, 12)
                .with(FaultKind.SMALL_HEAP, 12);
        SoakOptions options = new SoakOptions(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY,
                Duration.ofSeconds(60), 0, Duration.ofSeconds(1), Duration.ofSeconds(10), faults, 42, 4, 4, 64, 2,
                SoakOptions.DAEMON, dir.resolve("plots"), dir.resolve("work"), 0);

        SoakReport report = new SoakRunner(options, null).run();
        Path json = dir.resolve("soak.json");
        report.writeJson(json);
        System.out.print(report.table());

        assertThat(report.violations().values()).as("violations %s", report.violations()).allMatch(n -> n == 0);
        assertThat(report.growing()).as("growing series").isEmpty();
        assertThat(report.leaks()).as("every series judged").allMatch(v -> v.outcome() == LeakVerdict.Outcome.FLAT);
        for (FaultKind k : FaultKind.values()) {
            FaultLedger.Counts c = report.faults().get(k);
            assertThat(c.injected()).as("%s injected", k.key()).isPositive();
            assertThat(c.recovered()).as("%s recovered", k.key()).isPositive();
        }
        assertThat(report.failures()).isEmpty();
        assertThat(report.passed()).isTrue();
        assertThat(report.operations()).isGreaterThan(10_000);

        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertThat(j.path("command").asText()).isEqualTo("soak");
        assertThat(j.path("result").asText()).isEqualTo("PASS");
        assertThat(j.path("operations").asLong()).isEqualTo(report.operations());
        assertThat(j.path("faults").path("libvirtd-restart").path("injected").asLong()).isPositive();
        assertThat(j.path("leaks").path("heap").asText()).isEqualTo("flat");

        assertThat(report.plots()).hasSize(6);
        for (Path p : report.plots()) {
            BufferedImage img = ImageIO.read(p.toFile());
            assertThat(img).as("%s is a PNG", p).isNotNull();
            assertThat(Files.size(p)).isGreaterThan(10_000);
        }
    }
}
