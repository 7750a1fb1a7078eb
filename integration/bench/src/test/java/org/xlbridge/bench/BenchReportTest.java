package org.xlbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link BenchReport} reads JMH's CSV, puts each loop beside the anchors and judges the targets. */
class BenchReportTest {
    private static final String HEADER =
            "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\",\"Param: size\"";

    private static String row(String name, double score, int size) {
        return "\"org.xlbridge.bench." + name + "\",\"avgt\",1,5," + score + ",1.5,\"ns/op\"," + size;
    }

    @Test
    void ratiosAndVerdictsComeFromTheNumbersOfTheRun() {
        List<String> csv = List.of(HEADER,
                row("TimerBench.Embedded.update", 40.0, 100),
                row("TimerBench.Embedded.update", 100.0, 10000),
                row("TimerBench.Embedded.update", 120.0, 100000),
                row("TimerBench.Libvirt.update", 400.0, 100),
                row("TimerBench.Libvirt.update", 5000.0, 10000),
                row("TimerBench.Stpe.update", 80.0, 100),
                "\"org.xlbridge.bench.HookRoundTripBench.Embedded.single\",\"thrpt\",1,5,400000.0,10.0,\"ops/s\",");
        String report = BenchReport.render(BenchReport.parse(csv));

        assertThat(report).contains("| 100 | 40.0 ± 1.5 | 400.0 ± 1.5 | 80.0 ± 1.5 | 10.00x | 2.00x |");
        assertThat(report).contains("| 10,000 | 100.0 ± 1.5 | 5,000.0 ± 1.5 | — | 50.00x | — |");
        assertThat(report).containsPattern("cost at 100,000 <= 2x cost at 100 \\| 120.0 ns / 40.0 ns = 3.00x \\| MISSED");
        assertThat(report).containsPattern("at 10,000 timers: embedded >= 10x cheaper than libvirt \\| .* = 50.0x \\| MET");
        assertThat(report).containsPattern(">= 500,000/s \\(one round trip per operation\\) \\| 400,000/s \\| MISSED");
    }

    @Test
    void aFileThatIsNotJmhCsvIsRefusedWithItsHeader() {
        assertThatThrownBy(() -> BenchReport.parse(List.of("a,b,c", "1,2,3")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a JMH CSV");
        assertThatThrownBy(() -> BenchReport.parse(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
