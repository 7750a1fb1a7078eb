package org.xlbridge.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xlbridge.verification.Explorer.Algorithm;
import org.xlbridge.verification.MutantBridge.Mutation;
import org.xlbridge.verification.Scenarios.Setup;

/**
 * Regression tests from kept recordings (src/test/resources/recordings/NAME: Fray's scheduler class and
 * its random choices, from a POS exploration that failed). What each guards is that its bug still
 * manifests, i.e. that the checker still catches the legacy race or the mutant:
 * <ol>
 *   <li>the recording is replayed (and prints its schedule step by step); if it fails again with the same
 *       broken invariant, done;</li>
 *   <li>if not, the recording no longer matches the code: a recording holds random choices, not steps, and
 *       steers the same schedule only while the code on the recorded path makes the same synchronisation
 *       steps, which a harmless refactor (one more atomic read, a lock taken elsewhere) changes. So the
 *       scenario is explored afresh, seeded, with POS: if that finds the same invariant broken, the bug
 *       still manifests and the test passes, printing (and publishing to the test report) that the
 *       recording is stale and how to re-record it from the recording this exploration just kept;
 *       with {@code -Dxlbridge.fray.strictRecordings=true} a stale recording fails instead;</li>
 *   <li>if the exploration finds nothing within its budget either, the bug no longer manifests: the test
 *       fails and says so.</li>
 * </ol>
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
    void theRecordedBugStillManifests(String name, Runnable scenario, String invariant, TestReporter report)
            throws URISyntaxException {
        URL url = getClass().getResource("/recordings/" + name + "/random.json");
        assertThat(url).as("recording %s on the test class path", name).isNotNull();
        Path recording = Paths.get(url.toURI()).getParent();
        boolean viaHost = name.startsWith("legacy-f-");
        // (f) goes through the simulated host, whose steps are not all Fray's to choose: up to 10 attempts there
        // (Explorer.replay(..., attempts, ...)); every other recording must reproduce at once.
        Throwable replayed = Explorer.replay(name, recording, scenario, viaHost ? 10 : 1, invariant);
        if (replayed != null && Explorer.rootMessage(replayed).contains(invariant)) {
            return; // the recording still steers its schedule, and the bug is there
        }

        // The recording missed. Is the bug gone, or only the recording out of date?
        String exploreName = name.substring(0, name.length() - ("-" + Algorithm.POS).length());
        int budget = viaHost ? 3 * Explorer.findBudget() : Explorer.findBudget();
        Explorer.Result found = Explorer.explore(exploreName, Algorithm.POS, budget, scenario);
        if (!found.found() || !Explorer.rootMessage(found.failure()).contains(invariant)) {
            fail("the bug recorded in recordings/" + name + " no longer manifests: its replay "
                    + (replayed == null ? "ran clean" : "failed otherwise (" + Explorer.rootMessage(replayed) + ")")
                    + ", and a fresh exploration of the same scenario did not break " + invariant + " either: " + found
                    + ". If the legacy protocol or the mutant was changed on purpose, the recording goes with it;"
                    + " otherwise the scenario no longer reaches the race, and the checker cannot fail.");
        }
        String stale = "STALE RECORDING " + name + ": it no longer replays its failure on this code (its random"
                + " choices steer a different schedule once code on the recorded path makes other synchronisation"
                + " steps), but the bug it guards still manifests: " + found + ". Re-record it from the"
                + " recording that exploration kept (from the repository root):\n  cp " + found.recording() + "/* "
                + "integration/verification/src/test/resources/recordings/" + name + "/\n"
                + "then run mvn -B -pl integration/verification -am verify -Dtest=RecordedScheduleReplayTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false to see it replay (docs/verification.md).";
        System.out.println(stale);
        report.publishEntry("stale-recording", stale);
        if (Boolean.getBoolean("xlbridge.fray.strictRecordings")) {
            fail(stale);
        }
    }
}
