package org.xlbridge.verification;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xlbridge.verification.Explorer.Algorithm;
import org.xlbridge.verification.Scenarios.Setup;

/**
 * Under the fixed protocol (ASAP_MODIFY) on the real bridge, no explored schedule of any scenario breaks
 * an invariant: {@link Explorer#budget()} schedules per scenario and scheduler (PCT and POS), all run.
 */
class FixedProtocolExplorationTest {

    static Stream<Arguments> scenarios() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Algorithm a : Algorithm.values()) {
            b.add(Arguments.of("a-deregister-during-dispatch", a, Scenarios.deregisterDuringDispatch(Setup.fixed())));
            b.add(Arguments.of("b-two-dispatches-against-modify", a, Scenarios.twoDispatchesAgainstModify(Setup.fixed())));
            b.add(Arguments.of("c-close-against-dispatch", a, Scenarios.closeAgainstDispatch(Setup.fixed())));
            b.add(Arguments.of("d-fd-modify-deregister", a, Scenarios.fdModifyDeregisterDuringDispatch(Setup.fixed())));
            b.add(Arguments.of("e-libvirt-event-queue-timer", a, Scenarios.libvirtEventQueueTimer()));
            b.add(Arguments.of("f-operation-answer-against-its-timeout", a,
                    Scenarios.operationAnswerAgainstItsTimeout(Setup.fixed())));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("scenarios")
    void noScheduleBreaksAnInvariant(String name, Algorithm algorithm, Runnable scenario) {
        int budget = Explorer.budget();
        Explorer.Result r = Explorer.explore(name, algorithm, budget, scenario);
        assertThat(r.failure()).as("%s", r).isNull();
        assertThat(r.schedules()).as("schedules explored (a time-out would stop early)").isEqualTo(budget);
    }
}
