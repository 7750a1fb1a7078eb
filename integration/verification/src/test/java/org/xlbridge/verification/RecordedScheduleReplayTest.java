package org.xlbridge.verification;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xlbridge.verification.MutantBridge.Mutation;
import org.xlbridge.verification.Scenarios.Setup;

/**
 * Regression tests from kept recordings (src/test/resources/recordings/NAME: Fray's scheduler class and
 * its random choices, from a POS exploration that failed): each replays its one schedule and must fail
 * again with the same broken invariant. Fray's randomness is unseeded, so these recordings, not a seed,
 * are how a found interleaving is kept. The replay prints the schedule step by step.
 */
class RecordedScheduleReplayTest {

    static Stream<Arguments> recordings() {
        return Stream.of(
                Arguments.of("legacy-a-deregister-during-dispatch-POS",
                        Scenarios.deregisterDuringDispatch(Setup.legacy()), "I2"),
                Arguments.of("legacy-b-two-dispatches-against-modify-POS",
                        Scenarios.twoDispatchesAgainstModify(Setup.legacy()), "I2"),
                Arguments.of("legacy-f-operation-answer-against-its-timeout-POS",
                        Scenarios.operationAnswerAgainstItsTimeout(Setup.legacy()), "I10/I2 B completed"),
                Arguments.of("mutant-NO_ONCE_GUARD-b-POS",
                        Scenarios.twoDispatchesAgainstModify(Setup.mutant(Mutation.NO_ONCE_GUARD)), "I1"),
                Arguments.of("mutant-FREE_BEFORE_CALLBACK_RETURNED-a-POS",
                        Scenarios.deregisterDuringDispatch(Setup.mutant(Mutation.FREE_BEFORE_CALLBACK_RETURNED)), "I3"),
                Arguments.of("mutant-MODIFY_FORWARDED_WHILE_FIRING-a-POS",
                        Scenarios.deregisterDuringDispatch(Setup.mutant(Mutation.MODIFY_FORWARDED_WHILE_FIRING)), "I1"),
                Arguments.of("mutant-NEXUS_RECYCLED_AT_ONCE-a-POS",
                        Scenarios.deregisterDuringDispatch(Setup.mutant(Mutation.NEXUS_RECYCLED_AT_ONCE)), "I1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordings")
    void theRecordedScheduleFailsAgain(String name, Runnable scenario, String invariant) throws URISyntaxException {
        URL url = getClass().getResource("/recordings/" + name + "/random.json");
        assertThat(url).as("recording %s on the test class path", name).isNotNull();
        Path recording = Paths.get(url.toURI()).getParent();
        // (f) goes through the simulated host, whose steps are not all Fray's to choose: up to 10 attempts there
        // (Explorer.replay(..., attempts, ...)); every other recording must reproduce at once.
        int attempts = name.startsWith("legacy-f-") ? 10 : 1;
        Throwable failure = Explorer.replay(name, recording, scenario, attempts, invariant);
        assertThat(failure).as("replaying %s reproduces its failure", name).isNotNull();
        assertThat(LegacyProtocolExplorationTest.rootMessage(failure)).contains(invariant);
    }
}
