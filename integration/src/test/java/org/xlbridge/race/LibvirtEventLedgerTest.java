package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEventType;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.time.TimeSource;

/**
 * The I9 books without libvirt: exact delivery passes; each way of getting events wrong — lost,
 * duplicated, out of order, off the loop thread, caused by no call — is counted and is an I9 violation.
 */
class LibvirtEventLedgerTest {
    private final InvariantChecker checker = new InvariantChecker(DeregistrationProtocol.ASAP_MODIFY,
            TimeSource.SYSTEM, 0);
    private final LibvirtEventLedger ledger = new LibvirtEventLedger();

    /** A domain whose calls all succeeded, causing these events in this order. */
    private void calls(String name, DomainEventType... types) {
        ledger.domain(name);
        for (DomainEventType t : types) {
            ledger.returned(ledger.calling(name, t));
        }
    }

    private void receive(String name, DomainEventType type) {
        ledger.received(name, type, System.nanoTime(), true);
    }

    @Test
    void everyEventOnceInOrderOnTheLoopThreadIsClean() {
        calls("a", DomainEventType.DEFINED, DomainEventType.STARTED, DomainEventType.STOPPED);
        receive("a", DomainEventType.DEFINED);
        receive("a", DomainEventType.STARTED);
        receive("a", DomainEventType.STOPPED);
        assertThat(ledger.allArrived()).isTrue();
        LibvirtReport r = ledger.report("test:///default", 1, checker);
        assertThat(r.operations()).isEqualTo(3);
        assertThat(r.eventsExpected()).isEqualTo(3);
        assertThat(r.eventsDelivered()).isEqualTo(3);
        assertThat(r.i9Violations()).isZero();
        assertThat(checker.violations().get(Invariant.I9)).isZero();
    }

    @Test
    void lostDuplicatedOutOfOrderOffThreadAndUncausedEventsAreEachViolations() {
        calls("lost", DomainEventType.DEFINED, DomainEventType.UNDEFINED);
        receive("lost", DomainEventType.DEFINED);
        calls("dup", DomainEventType.DEFINED);
        receive("dup", DomainEventType.DEFINED);
        receive("dup", DomainEventType.DEFINED);
        calls("order", DomainEventType.DEFINED, DomainEventType.STARTED);
        receive("order", DomainEventType.STARTED);
        receive("order", DomainEventType.DEFINED);
        calls("thread", DomainEventType.DEFINED);
        ledger.received("thread", DomainEventType.DEFINED, System.nanoTime(), false);
        calls("extra", DomainEventType.DEFINED);
        receive("extra", DomainEventType.DEFINED);
        receive("extra", DomainEventType.CRASHED);
        receive("nobody-made-me", DomainEventType.DEFINED);

        LibvirtReport r = ledger.report("test:///default", 1, checker);
        assertThat(r.lost()).isEqualTo(1);
        assertThat(r.duplicated()).isEqualTo(1);
        assertThat(r.outOfOrder()).isEqualTo(1);
        assertThat(r.offLoopThread()).isEqualTo(1);
        assertThat(r.unexpected()).isEqualTo(2);
        assertThat(r.eventsExpected()).isEqualTo(7);
        assertThat(r.eventsDelivered()).isEqualTo(6);
        assertThat(checker.violations().get(Invariant.I9)).isEqualTo(6).isEqualTo(r.i9Violations());
        assertThat(checker.samples()).anyMatch(s -> s.contains("lost: UNDEFINED never delivered"))
                .anyMatch(s -> s.contains("order: DEFINED delivered after STARTED"));
    }

    @Test
    void aFailedCallExpectsNoEventAndCountsAsAnError() {
        ledger.domain("d");
        ledger.returned(ledger.calling("d", DomainEventType.DEFINED));
        ledger.failed("d", ledger.calling("d", DomainEventType.STARTED));
        receive("d", DomainEventType.DEFINED);
        assertThat(ledger.allArrived()).isTrue();
        LibvirtReport r = ledger.report("test:///default", 1, checker);
        assertThat(r.apiErrors()).isEqualTo(1);
        assertThat(r.eventsExpected()).isEqualTo(1);
        assertThat(r.i9Violations()).isZero();
    }
}
