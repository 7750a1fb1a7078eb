package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xlbridge.cli.XlbridgeMain;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.libxl.DeregistrationProtocol;
import picocli.CommandLine;

/** The race report's JSON: SPEC's keys, integers for counts, I1…I10, and the libvirt section's shape. */
class RaceReportJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static RaceReport report(LibvirtReport libvirt, long i9) {
        Map<Invariant, Long> violations = new EnumMap<>(Invariant.class);
        for (Invariant inv : Invariant.values()) {
            violations.put(inv, 0L);
        }
        violations.put(Invariant.I9, i9);
        RaceOptions options = new RaceOptions(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, 1,
                Duration.ofSeconds(1), 4, 7, libvirt == null ? null : libvirt.uri(), 2);
        return new RaceReport(options, Duration.ofMillis(1234), 10, 4, 6, 10, 4, 2, 0, 0, 4, 1, 50, 90, 120,
                violations, List.of(), libvirt);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void withoutLibvirtTheReportHasSpecsKeysAndNoLibvirtSection() throws Exception {
        JsonNode json = MAPPER.readTree(report(null, 0).json().toString());
        assertThat(fieldNames(json)).contains("command", "loop", "protocol", "durationMs", "counts",
                "violations", "result").doesNotContain("libvirt");
        assertThat(json.get("command").asText()).isEqualTo("race");
        assertThat(json.get("loop").asText()).isEqualTo("embedded");
        assertThat(json.get("protocol").asText()).isEqualTo("asap-modify");
        assertThat(json.get("durationMs").isIntegralNumber()).isTrue();
        assertThat(json.get("durationMs").asLong()).isEqualTo(1234);
        assertThat(json.get("counts").get("registrations").asLong()).isEqualTo(10);
        json.get("counts").forEach(n -> assertThat(n.isIntegralNumber()).isTrue());
        assertThat(fieldNames(json.get("violations"))).containsExactly("I1", "I2", "I3", "I4", "I5", "I6", "I7",
                "I8", "I9", "I10");
        json.get("violations").forEach(n -> assertThat(n.isIntegralNumber()).isTrue());
        assertThat(json.get("result").asText()).isEqualTo("PASS");
    }

    @Test
    void withLibvirtTheSectionHasItsKeysAndAViolationFails() throws Exception {
        LibvirtReport lv = new LibvirtReport("test:///default", 2, 60, 0, 60, 59, 1, 0, 0, 0, 0, 120, 900, 1000);
        JsonNode json = MAPPER.readTree(report(lv, 1).json().toString());
        JsonNode section = json.get("libvirt");
        assertThat(fieldNames(section)).containsExactly("uri", "operations", "eventsExpected", "eventsDelivered",
                "lost", "duplicated", "outOfOrder", "offLoopThread", "latencyMicros");
        assertThat(section.get("uri").asText()).isEqualTo("test:///default");
        assertThat(section.get("eventsDelivered").asLong()).isEqualTo(59);
        assertThat(section.get("lost").asLong()).isEqualTo(1);
        assertThat(fieldNames(section.get("latencyMicros"))).containsExactly("p50", "p99");
        assertThat(section.get("latencyMicros").get("p99").asLong()).isEqualTo(900);
        assertThat(json.get("violations").get("I9").asLong()).isEqualTo(1);
        assertThat(json.get("result").asText()).isEqualTo("FAIL");
    }

    @Test
    void libvirtClientsThatCausedNoEventFailTheRunWithoutAViolation() {
        LibvirtReport idle = new LibvirtReport("test:///default", 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        RaceReport r = report(idle, 0);
        assertThat(r.totalViolations()).isZero();
        assertThat(r.passed()).isFalse();
        assertThat(r.table()).contains("result: FAIL, the libvirt clients caused no event");
        assertThat(r.json().get("result").asText()).isEqualTo("FAIL");
    }

    @Test
    void theRaceCommandWritesTheJsonFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r.json");
        int exit = new CommandLine(new XlbridgeMain()).execute("race", "--duration", "1s", "--json", file.toString());
        assertThat(exit).isZero();
        JsonNode json = MAPPER.readTree(Files.readString(file));
        assertThat(json.get("result").asText()).isEqualTo("PASS");
        assertThat(json.get("counts").get("registrations").asLong()).isPositive();
        assertThat(json.has("libvirt")).isFalse();
    }

    @Test
    void badLibvirtOptionsAreRefusedBeforeAnythingRuns() {
        CommandLine cli = new CommandLine(new XlbridgeMain());
        assertThat(cli.execute("race", "--libvirt-uri", "test:///default", "--dispatch-threads", "2")).isEqualTo(2);
        assertThat(cli.execute("race", "--libvirt-uri", "default")).isEqualTo(2);
        assertThat(cli.execute("race", "--libvirt-uri", "test:///default", "--libvirt-clients", "0")).isEqualTo(2);
    }
}
