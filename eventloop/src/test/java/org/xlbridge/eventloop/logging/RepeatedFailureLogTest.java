package org.xlbridge.eventloop.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class RepeatedFailureLogTest {
    /** A Logger that records the level and format of each warn/debug call (debug enabled). */
    private static Logger recording(List<String> lines) {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, m, a) -> switch (m.getName()) {
                    case "warn", "debug" -> {
                        lines.add(m.getName() + ":" + a[0]);
                        yield null;
                    }
                    case "isDebugEnabled" -> true;
                    default -> m.getReturnType() == boolean.class ? false : null;
                });
    }

    @Test
    void theFirstOccurrencesInFullThenPowersOfTenAtWarnAndTheRestAtDebug() {
        List<String> lines = new ArrayList<>();
        RepeatedFailureLog f = new RepeatedFailureLog(recording(lines), 3);
        for (int i = 0; i < 1000; i++) {
            f.failed("listener threw on {}", "X", new IllegalStateException("boom"));
        }
        assertThat(f.count()).isEqualTo(1000);
        long warns = lines.stream().filter(l -> l.startsWith("warn:")).count();
        // 1, 2, 3 in full; then 10, 100, 1000
        assertThat(warns).isEqualTo(6);
        assertThat(lines.stream().filter(l -> l.startsWith("debug:")).count()).isEqualTo(994);
        assertThat(lines.get(9)).startsWith("warn:").contains("occurrence 10;");
    }

    @Test
    void milestonesArePowersOfTenAndMillions() {
        assertThat(RepeatedFailureLog.isMilestone(10)).isTrue();
        assertThat(RepeatedFailureLog.isMilestone(100_000)).isTrue();
        assertThat(RepeatedFailureLog.isMilestone(3_000_000)).isTrue();
        assertThat(RepeatedFailureLog.isMilestone(11)).isFalse();
        assertThat(RepeatedFailureLog.isMilestone(200)).isFalse();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> new RepeatedFailureLog(null, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RepeatedFailureLog(recording(new ArrayList<>()), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
