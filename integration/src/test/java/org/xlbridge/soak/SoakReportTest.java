package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakReportTest {
    private static final SoakReport.Settings SETTINGS = new SoakReport.Settings("embedded", "asap-modify", 42,
            FaultPlan.defaults().spec(), Duration.ofSeconds(60), 0, Duration.ofSeconds(1), Duration.ofSeconds(10));

    private static FaultLedger ledger() {
        FaultLedger l = new FaultLedger();
        for (FaultKind k : FaultKind.values()) {
            for (int i = 0; i <= k.ordinal(); i++) {
                l.injected(k);
                l.recovered(k);
            }
        }
        l.failedOperations(FaultKind.ABORT, 17);
        return l;
    }

    private static SoakReport report(List<SoakSample> samples, Map<String, Long> violations, List<String> notes) {
        return SoakReport.of(SETTINGS, 60_123, 2_400_000, violations, ledger(), FaultPlan.defaults(),
                LeakVerdict.judge(samples, SETTINGS.warmUp()), samples,
                List.of(new SoakReport.WorkloadSummary("race", 2_000_000, "2,000,000 registrations"),
                        new SoakReport.WorkloadSummary("xl", 300_000, "300,000 driver calls"),
                        new SoakReport.WorkloadSummary("libvirt", 100_000, "100,000 domain calls")),
                List.of(Path.of("soak-plots/heap.png"), Path.of("soak-plots/fds.png")), notes);
    }

    @Test
    void jsonRoundTripHasSpecKeysAndTheSoaksOwn(@TempDir Path dir) throws Exception {
        SoakReport r = report(Samples.flat(70), SoakReport.noViolations(), List.of("a note"));
        Path file = dir.resolve("s.json");
        r.writeJson(file);
        ObjectMapper mapper = new ObjectMapper();
        JsonNode j = mapper.readTree(file.toFile());
        // Read back, the file says what json() says (number node types differ: compare the text).
        assertThat(mapper.writeValueAsString(j)).isEqualTo(mapper.writeValueAsString(r.json()));
        assertThat(j.get("command").asText()).isEqualTo("soak");
        assertThat(j.get("loop").asText()).isEqualTo("embedded");
        assertThat(j.get("protocol").asText()).isEqualTo("asap-modify");
        assertThat(j.get("durationMs").asLong()).isEqualTo(60_123);
        assertThat(j.get("operations").asLong()).isEqualTo(2_400_000);
        assertThat(j.get("seed").asLong()).isEqualTo(42);
        for (String k : SoakReport.INVARIANTS) {
            assertThat(j.get("violations").get(k).isIntegralNumber()).as(k).isTrue();
            assertThat(j.get("violations").get(k).asLong()).isZero();
        }
        for (FaultKind k : FaultKind.values()) {
            JsonNode f = j.get("faults").get(k.key());
            assertThat(f.get("injected").asLong()).as(k.key()).isEqualTo(k.ordinal() + 1);
            assertThat(f.get("recovered").asLong()).isEqualTo(k.ordinal() + 1);
            assertThat(f.get("failedOperations").asLong()).isEqualTo(k == FaultKind.ABORT ? 17 : 0);
        }
        for (LeakSeries s : LeakSeries.values()) {
            assertThat(j.get("leaks").get(s.key()).asText()).as(s.key()).isEqualTo("flat");
        }
        assertThat(j.get("leakCheck").get("complete").asBoolean()).isTrue();
        assertThat(j.get("leakCheck").get("samplesAfterWarmUp").asInt()).isEqualTo(61);
        assertThat(j.get("samples").asInt()).isEqualTo(70);
        assertThat(j.get("workloads").get("xl").get("operations").asLong()).isEqualTo(300_000);
        assertThat(j.get("plots").get(0).asText()).isEqualTo("soak-plots/heap.png");
        assertThat(j.get("notes").get(0).asText()).isEqualTo("a note");
        assertThat(j.get("result").asText()).isEqualTo("PASS");
    }

    @Test
    void aGrowingSeriesOrAViolationFailsTheRun() {
        List<SoakSample> leaking = Samples.build(70, LeakSeries.FDS, i -> 40 + i);
        SoakReport grew = report(leaking, SoakReport.noViolations(), List.of());
        assertThat(grew.passed()).isFalse();
        assertThat(grew.json().get("result").asText()).isEqualTo("FAIL");
        assertThat(grew.json().get("leaks").get("fds").asText()).isEqualTo("growing");
        assertThat(grew.table()).contains("GROWING: fds growing").contains("result: FAIL, fds growing");

        Map<String, Long> v = new java.util.LinkedHashMap<>(SoakReport.noViolations());
        v.put("I9", 3L);
        SoakReport violated = report(Samples.flat(70), v, List.of());
        assertThat(violated.passed()).isFalse();
        assertThat(violated.json().get("violations").get("I9").asLong()).isEqualTo(3);
        assertThat(violated.table()).contains("I9=3").contains("result: FAIL, 3 violations");
    }

    @Test
    void tooShortARunPassesButSaysItsLeaksAreUnchecked() {
        SoakReport r = report(Samples.flat(12), SoakReport.noViolations(), List.of());
        assertThat(r.passed()).isTrue();
        assertThat(r.json().get("leaks").get("heap").asText()).isEqualTo("unchecked");
        assertThat(r.json().get("leakCheck").get("complete").asBoolean()).isFalse();
        assertThat(r.notes()).anyMatch(n -> n.contains("heap unchecked: 3 samples after warm-up"));
    }

    @Test
    void aFaultEnabledButNeverInjectedIsNoted() {
        FaultLedger empty = new FaultLedger();
        List<SoakSample> s = Samples.flat(30);
        SoakReport r = SoakReport.of(SETTINGS, 1000, 10, SoakReport.noViolations(), empty,
                FaultPlan.none().with(FaultKind.REG_FAIL, 0.1), LeakVerdict.judge(s, Duration.ZERO), s, List.of(),
                List.of(), new ArrayList<>());
        assertThat(r.notes()).containsExactly("fault reg-fail was enabled but never injected (run longer)");
    }

    @Test
    void theTableShowsEveryFaultSeriesAndInvariant() {
        SoakReport r = report(Samples.flat(70), SoakReport.noViolations(), List.of("a note"));
        String t = r.table();
        assertThat(t).contains("xlbridge soak: loop=embedded protocol=asap-modify seed=42 duration=60s, 60123 ms")
                .contains("operations: 2,400,000 (39,918/s), samples: 70 every 1000 ms, warm-up 10 s")
                .contains("xl").contains("300,000 driver calls");
        for (FaultKind k : FaultKind.values()) {
            assertThat(t).containsPattern("(?m)^" + k.key() + " +" + (k.ordinal() + 1) + " +" + (k.ordinal() + 1)
                    + " +" + (k == FaultKind.ABORT ? 17 : 0) + "$");
        }
        for (LeakSeries s : LeakSeries.values()) {
            assertThat(t).containsPattern("(?m)^" + s.key() + " .* flat$");
        }
        assertThat(t).contains("heap                        40.00 MiB        40.00 MiB       flat");
        assertThat(t).contains("violations: I1=0 I2=0 I3=0 I4=0 I5=0 I6=0 I7=0 I8=0 I9=0 I10=0")
                .contains("plots: soak-plots/heap.png soak-plots/fds.png").contains("note: a note")
                .endsWith("result: PASS\n");
    }
}
