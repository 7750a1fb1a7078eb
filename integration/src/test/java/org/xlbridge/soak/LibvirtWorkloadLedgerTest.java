package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEventType;

/**
 * The I9 books of the soak's libvirt clients without libvirt: settled domains are forgotten (bounded
 * memory), events lost with a reported connection loss are not violations, every other miss, duplicate,
 * reordering, late event or off-loop delivery is.
 */
class LibvirtWorkloadLedgerTest {
    private static final List<DomainEventType> CYCLE = List.of(DomainEventType.DEFINED, DomainEventType.STARTED,
            DomainEventType.SUSPENDED, DomainEventType.RESUMED, DomainEventType.STOPPED, DomainEventType.UNDEFINED);

    private final LibvirtWorkloadLedger ledger = new LibvirtWorkloadLedger("p-");

    private void calls(String name, long generation, List<DomainEventType> types) {
        ledger.open(name, generation);
        for (DomainEventType t : types) {
            ledger.returned(ledger.calling(name, t));
        }
    }

    @Test
    void aMillionSettledDomainsLeaveNoBooksBehind() {
        for (int i = 0; i < 1_000_000; i++) {
            String n = "p-" + i;
            calls(n, 1, CYCLE);
            for (DomainEventType t : CYCLE) {
                ledger.received(n, t, true);
            }
            ledger.done(n);
        }
        assertThat(ledger.liveDomains()).isZero();
        assertThat(ledger.foldedDomains()).isEqualTo(1_000_000);
        assertThat(ledger.delivered()).isEqualTo(6_000_000);
        assertThat(ledger.operations()).isEqualTo(6_000_000);
        ledger.close();
        assertThat(ledger.violations()).isZero();
    }

    @Test
    void theEventOfACallCutByARestartMayStillArriveUntilItsConnectionIsFreed() {
        // create failed with the connection reset, but the daemon had run it and its STARTED is on its way
        calls("p-u", 1, CYCLE.subList(0, 1));
        ledger.received("p-u", DomainEventType.DEFINED, true);
        LibvirtWorkloadLedger.Call create = ledger.calling("p-u", DomainEventType.STARTED);
        ledger.lossReported(1);
        ledger.failed("p-u", create, true);
        ledger.done("p-u");
        assertThat(ledger.liveDomains()).as("kept open: the uncertain call's event may still come").isOne();
        ledger.received("p-u", DomainEventType.STARTED, true);
        ledger.connectionFreedBelow(2);
        assertThat(ledger.liveDomains()).isZero();
        assertThat(ledger.arrivedDespiteFailure()).isOne();
        // the same call whose event never came: folded once freed, nothing to report
        calls("p-v", 2, CYCLE.subList(0, 1));
        ledger.received("p-v", DomainEventType.DEFINED, true);
        LibvirtWorkloadLedger.Call create2 = ledger.calling("p-v", DomainEventType.STARTED);
        ledger.lossReported(2);
        ledger.failed("p-v", create2, true);
        ledger.done("p-v");
        ledger.connectionFreedBelow(3);
        assertThat(ledger.liveDomains()).isZero();
        ledger.close();
        assertThat(ledger.violations()).isZero();
    }

    @Test
    void eventsMissingAfterAReportedLossAreReportedLostOnceTheConnectionIsFreed() {
        calls("p-a", 1, CYCLE.subList(0, 3));
        ledger.received("p-a", DomainEventType.DEFINED, true);
        LibvirtWorkloadLedger.Call failing = ledger.calling("p-a", DomainEventType.RESUMED);
        ledger.lossReported(1);
        ledger.failed("p-a", failing, true);
        ledger.done("p-a");
        assertThat(ledger.liveDomains()).as("kept until the dead connection is freed: late events may come").isOne();
        ledger.received("p-a", DomainEventType.STARTED, true); // still dispatched before the free
        ledger.connectionFreedBelow(2);
        assertThat(ledger.liveDomains()).isZero();
        assertThat(ledger.delivered()).isEqualTo(2);
        assertThat(ledger.reportedLost()).isEqualTo(1);
        assertThat(ledger.restartFailedCalls()).isEqualTo(1);
        ledger.close();
        assertThat(ledger.violations()).isZero();
    }

    @Test
    void aReportedLossDoesNotExcuseAnEventOvertakenByALaterCallsEvent() {
        calls("p-f", 1, CYCLE.subList(0, 2));       // DEFINED and STARTED returned...
        calls("p-g", 1, CYCLE.subList(0, 1));       // ...before p-g's define started
        ledger.received("p-f", DomainEventType.DEFINED, true);
        ledger.received("p-g", DomainEventType.DEFINED, true); // delivered: p-f's STARTED was lost silently
        ledger.done("p-f");
        ledger.done("p-g");
        ledger.lossReported(1);
        ledger.connectionFreedBelow(2);
        assertThat(ledger.liveDomains()).isZero();
        assertThat(ledger.reportedLost()).isZero();
        assertThat(ledger.violations()).isOne();
        assertThat(ledger.violationSamples().get(0)).contains("p-f: STARTED never delivered, though a later call");
    }

    @Test
    void aMissingEventWithoutAReportedLossIsAViolation() {
        calls("p-b", 1, CYCLE);
        for (DomainEventType t : CYCLE.subList(0, 5)) {
            ledger.received("p-b", t, true);
        }
        ledger.done("p-b");
        ledger.connectionFreedBelow(2); // freed without a reported loss: no excuse
        assertThat(ledger.liveDomains()).isOne();
        ledger.close();
        assertThat(ledger.violations()).isOne();
        assertThat(ledger.violationSamples().get(0)).contains("UNDEFINED never delivered");
    }

    @Test
    void duplicatesReorderingsLateOffLoopAndUncausedEventsAreViolations() {
        calls("p-c", 1, CYCLE.subList(0, 2));
        ledger.received("p-c", DomainEventType.STARTED, true);
        ledger.received("p-c", DomainEventType.DEFINED, true);   // out of order
        ledger.received("p-c", DomainEventType.DEFINED, true);   // twice
        ledger.received("p-c", DomainEventType.SUSPENDED, true); // no call caused it
        ledger.done("p-c");
        ledger.received("p-c", DomainEventType.STARTED, true);   // books settled: late
        calls("p-d", 1, CYCLE.subList(0, 1));
        ledger.received("p-d", DomainEventType.DEFINED, false);  // off the loop thread
        ledger.received("other-x", DomainEventType.DEFINED, true); // not ours: foreign, not checked
        ledger.done("p-d");
        ledger.close();
        assertThat(ledger.violations()).isEqualTo(5);
        assertThat(ledger.foreignEvents()).isOne();
    }

    @Test
    void aCallThatFailedForAnotherReasonMustCauseNoEvent() {
        calls("p-e", 1, CYCLE.subList(0, 1));
        ledger.received("p-e", DomainEventType.DEFINED, true);
        LibvirtWorkloadLedger.Call c = ledger.calling("p-e", DomainEventType.STARTED);
        ledger.failed("p-e", c, false);
        ledger.done("p-e");
        assertThat(ledger.liveDomains()).as("settled: the failed call expects nothing").isZero();
        assertThat(ledger.violations()).isZero();
        ledger.received("p-e", DomainEventType.STARTED, true);
        assertThat(ledger.violations()).isOne();
    }

    @Test
    void aRestartIsRecoveredByAnEventOfALaterGeneration() {
        ledger.expectRecovery(1);
        assertThat(ledger.recoveredBy(1)).isZero();
        ledger.expectRecovery(2);
        assertThat(ledger.recoveredBy(3)).isEqualTo(2);
        assertThat(ledger.recoveredBy(3)).isZero();
    }
}
