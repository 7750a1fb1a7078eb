package org.xlbridge.verification;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xlbridge.verification.Explorer.Algorithm;
import org.xlbridge.verification.Scenarios.Setup;

/**
 * The checker can fail: under the pre-fix LEGACY_DEREGISTER protocol the exploration finds, within
 * {@link Explorer#findBudget()} schedules, the stale-timeout race of Xen 5f5ef65b in both race scenarios
 * (a deregister during a dispatch, and during two dispatches), with PCT and with POS. The failing
 * schedule is kept as a recording and replayed step by step. {@link RecordedScheduleReplayTest} replays
 * the recordings committed under src/test/resources.
 */
class LegacyProtocolExplorationTest {

    static Stream<Arguments> raceScenarios() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Algorithm a : Algorithm.values()) {
            b.add(Arguments.of("legacy-a-deregister-during-dispatch", a,
                    Scenarios.deregisterDuringDispatch(Setup.legacy())));
            b.add(Arguments.of("legacy-b-two-dispatches-against-modify", a,
                    Scenarios.twoDispatchesAgainstModify(Setup.legacy())));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("raceScenarios")
    void theStaleTimeoutRaceIsFoundAndReplays(String name, Algorithm algorithm, Runnable scenario) {
        Explorer.Result r = Explorer.explore(name, algorithm, Explorer.findBudget(), scenario);
        assertThat(r.found()).as("legacy race found within %d schedules: %s", Explorer.findBudget(), r).isTrue();
        assertThat(rootMessage(r.failure())).as("the failure is the early fire of a recycled nexus")
                .contains("I2").contains("before their deadline");

        Throwable replayed = Explorer.replay(name, r.recording(), scenario);
        assertThat(replayed).as("the kept recording reproduces the failure").isNotNull();
        assertThat(rootMessage(replayed)).isEqualTo(rootMessage(r.failure()));
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return String.valueOf(c.getMessage());
    }
}
