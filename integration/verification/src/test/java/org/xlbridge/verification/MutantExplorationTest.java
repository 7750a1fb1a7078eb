package org.xlbridge.verification;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xlbridge.verification.Explorer.Algorithm;
import org.xlbridge.verification.MutantBridge.Mutation;
import org.xlbridge.verification.Scenarios.Setup;

/**
 * Each hand-made wrong bridge ({@link MutantBridge}) is caught by the exploration under the fixed
 * protocol, in the scenario where its mistake matters, with PCT and with POS; the schedules it took are
 * printed as a table at the end. The same bridge with no mutation passes the clean budget, so what
 * catches a mutant is its mistake, not the harness.
 */
class MutantExplorationTest {
    private static final List<String> TABLE = new ArrayList<>();

    static Stream<Arguments> mutants() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Algorithm a : Algorithm.values()) {
            b.add(Arguments.of(Mutation.NO_ONCE_GUARD, "b", a));
            b.add(Arguments.of(Mutation.FREE_BEFORE_CALLBACK_RETURNED, "a", a));
            b.add(Arguments.of(Mutation.MODIFY_FORWARDED_WHILE_FIRING, "a", a));
            b.add(Arguments.of(Mutation.NEXUS_RECYCLED_AT_ONCE, "a", a));
        }
        return b.build();
    }

    static Runnable scenario(String which, Setup setup) {
        return "a".equals(which) ? Scenarios.deregisterDuringDispatch(setup)
                : Scenarios.twoDispatchesAgainstModify(setup);
    }

    @ParameterizedTest(name = "{0} in scenario ({1}) [{2}]")
    @MethodSource("mutants")
    void theMutantIsCaught(Mutation mutation, String which, Algorithm algorithm) {
        String name = "mutant-" + mutation + "-" + which;
        Explorer.Result r = Explorer.explore(name, algorithm, Explorer.findBudget(),
                scenario(which, Setup.mutant(mutation)));
        synchronized (TABLE) {
            TABLE.add(String.format("| %-30s | (%s) | %-3s | %s | %s |", mutation, which, algorithm,
                    r.found() ? String.valueOf(r.schedules()) : "not found in " + r.schedules(),
                    r.found() ? LegacyProtocolExplorationTest.rootMessage(r.failure()).replaceAll(".*?: (I\\d)", "$1")
                            : "-"));
        }
        assertThat(r.found()).as("%s caught within %d schedules: %s", mutation, Explorer.findBudget(), r).isTrue();
    }

    @Test
    void theUnmutatedTestBridgePassesBothScenarios() {
        for (Algorithm a : Algorithm.values()) {
            for (String which : new String[] {"a", "b"}) {
                Explorer.Result r = Explorer.explore("mutant-NONE-" + which, a, Explorer.budget(),
                        scenario(which, Setup.mutant(Mutation.NONE)));
                assertThat(r.failure()).as("%s", r).isNull();
                assertThat(r.schedules()).isEqualTo(Explorer.budget());
            }
        }
    }

    @AfterAll
    static void printTable() {
        System.out.println("| mutant | scenario | scheduler | schedules to failure | invariant broken |");
        System.out.println("|---|---|---|---|---|");
        TABLE.forEach(System.out::println);
    }
}
