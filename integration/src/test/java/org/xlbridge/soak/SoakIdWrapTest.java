package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.ids.IdAllocator;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * Wrap mode ({@code --id-space}): a bounded soak of the race and the xl driver's clients, with the
 * default faults (no libvirt, so in the shared test JVM), takes the loop's timer and watch ids and the
 * simulated hosts' domids round their spaces several times while every audit stays at zero, and the
 * report and its JSON say how often each counter wrapped. The seam is restored afterwards.
 */
class SoakIdWrapTest {
    @Test
    void theIdCountersWrapSeveralTimesWithEveryInvariantAtZero() throws Exception {
        Path dir = Path.of("target", "soak-id-wrap").toAbsolutePath();
        FaultPlan faults = FaultPlan.defaults().with(FaultKind.LIBVIRTD_RESTART, 0).with(FaultKind.SMALL_HEAP, 0)
                .with(FaultKind.STATE_RESTART, 6);
        SoakOptions options = new SoakOptions(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY,
                Duration.ofSeconds(20), 0, Duration.ofMillis(500), Duration.ofSeconds(4), faults, 3, 4, 4, 64, 1,
                SoakOptions.NONE, null, dir, 2048);

        SoakReport report = new SoakRunner(options, null).run();
        System.out.print(report.table());
        java.nio.file.Files.createDirectories(dir);
        Path json = dir.resolve("wrap.json");
        report.writeJson(json);

        assertThat(report.violations().values()).as("violations %s", report.violations()).allMatch(n -> n == 0);
        assertThat(report.wraps().wraps().get("timerIds")).as("timer id wraps").isGreaterThanOrEqualTo(2);
        assertThat(report.wraps().wraps().get("watchIds")).as("watch id wraps").isGreaterThanOrEqualTo(2);
        assertThat(report.wraps().wraps().get("domids")).as("domid wraps").isPositive();
        assertThat(report.notes()).noneMatch(n -> n.contains("days"));
        assertThat(report.passed()).as(report.table()).isTrue();
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertThat(j.path("idWraps").path("timerIds").asLong()).isEqualTo(report.wraps().wraps().get("timerIds"));
        assertThat(j.path("idSpaces").path("timerIds").asLong()).isEqualTo(2048);
        assertThat(j.path("idSpaces").path("watchIds").asLong()).isEqualTo(256);
        assertThat(System.getProperty(IdAllocator.LAST_PROPERTY)).as("the seam is restored").isNull();
    }
}
