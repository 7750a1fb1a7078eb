package org.xlbridge.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;

/** The cross-connection check of {@code xlbridge host} can pass and can fail. */
class SequenceComparisonTest {
    private static DomainEvent ev(DomainEventType t) {
        return new DomainEvent(t, 0);
    }

    @Test
    void theSameSequenceInAnyInterleavingOfArrivalsPasses() {
        SequenceComparison c = new SequenceComparison();
        DomainEvent a = ev(DomainEventType.DEFINED);
        DomainEvent b = ev(DomainEventType.STARTED);
        DomainEvent d = ev(DomainEventType.STOPPED);
        c.received(0, a);
        c.received(0, b);
        c.received(1, a);
        c.received(1, b);
        c.received(1, d);
        c.received(0, d);
        assertThat(c.compared()).isEqualTo(3);
        assertThat(c.differences()).isZero();
    }

    @Test
    void twoEventsInAnotherOrderOnOneConnectionFail() {
        SequenceComparison c = new SequenceComparison();
        DomainEvent a = ev(DomainEventType.DEFINED);
        DomainEvent b = ev(DomainEventType.STOPPED);
        c.received(0, a);
        c.received(0, b);
        c.received(1, b);
        c.received(1, a);
        assertThat(c.differences()).isEqualTo(2);
    }

    @Test
    void equalButNotTheSameEventFails() {
        SequenceComparison c = new SequenceComparison();
        c.received(0, ev(DomainEventType.STARTED));
        c.received(1, ev(DomainEventType.STARTED));
        assertThat(c.differences()).as("compared by identity: another event of the same kind").isEqualTo(1);
    }

    @Test
    void anEventOnlyOneConnectionReceivedFails() {
        SequenceComparison c = new SequenceComparison();
        DomainEvent a = ev(DomainEventType.DEFINED);
        c.received(0, a);
        c.received(1, a);
        c.received(0, ev(DomainEventType.STARTED));
        assertThat(c.differences()).isEqualTo(1);
    }
}
