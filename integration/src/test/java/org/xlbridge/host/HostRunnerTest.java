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
import org.xlbridge.libxl.DeregistrationProtocol;

/** {@code xlbridge host} end to end on the embedded loop: a short run passes; the unsafe protocol fails. */
class HostRunnerTest {
    private static HostReport run(DeregistrationProtocol protocol, Duration duration) throws Exception {
        HostOptions o = new HostOptions(LoopKind.EMBEDDED, protocol, 40, 4, duration, 7, Duration.ofMillis(30), 40);
        return new HostRunner(o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    @Test
    void aShortRunOnTheFixedProtocolPassesWithEveryEventDelivered(@TempDir Path dir) throws Exception {
        HostReport r = run(DeregistrationProtocol.ASAP_MODIFY, Duration.ofSeconds(2));
        assertThat(r.passed()).as(r.table()).isTrue();
        assertThat(r.operations().total()).isPositive();
        assertThat(r.events().expected()).isPositive();
        assertThat(r.events().delivered()).isEqualTo(r.events().expected());
        assertThat(r.shutdownWaitsByGuest() + r.shutdownWaitsByTimeout()).isPositive();
        assertThat(r.events().comparedAcrossConnections()).as("a second connection compared")
                .isEqualTo(r.events().expected());
        assertThat(r.events().differentAcrossConnections()).isZero();

        Path json = dir.resolve("h.json");
        r.writeJson(json);
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertThat(n.get("command").asText()).isEqualTo("host");
        assertThat(n.get("loop").asText()).isEqualTo("embedded");
        assertThat(n.get("protocol").asText()).isEqualTo("asap-modify");
        assertThat(n.get("result").asText()).isEqualTo("PASS");
        assertThat(n.get("durationMs").asLong()).isPositive();
        assertThat(n.get("events").get("expected").asLong()).isEqualTo(r.events().expected());
        assertThat(n.get("events").has("lost")).isTrue();
        assertThat(n.get("events").has("duplicated")).isTrue();
        assertThat(n.get("events").get("differentAcrossConnections").asLong()).isZero();
        assertThat(n.get("racesSeen").isIntegralNumber()).isTrue();
        assertThat(n.get("operations").get("create").get("ok").isIntegralNumber()).isTrue();
        for (String k : HostReport.INVARIANTS) {
            assertThat(n.get("violations").get(k).asLong()).as(k).isZero();
        }
    }

    /** The checker can fail: under the pre-fix protocol a stale timeout fails a newer operation early. */
    @Test
    @Tag("soak")
    void theLegacyProtocolFails() throws Exception {
        HostReport r = run(DeregistrationProtocol.LEGACY_DEREGISTER, Duration.ofSeconds(10));
        assertThat(r.passed()).as(r.table()).isFalse();
        assertThat(r.violations().get("I2") + r.violations().get("I10")).isPositive();
    }
}
