package org.xlbridge.eventloop;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.xlbridge.posix.Posix;

/** The one mapping between handle events and poll(2) bits, both ways. */
class HandleEventsTest {

    @Test
    void handleEventsMapToPollBits() {
        assertThat(HandleEvents.toPoll(0)).isZero();
        assertThat(HandleEvents.toPoll(HandleEvents.READABLE)).isEqualTo(Posix.POLLIN);
        assertThat(HandleEvents.toPoll(HandleEvents.WRITABLE)).isEqualTo(Posix.POLLOUT);
        assertThat(HandleEvents.toPoll(HandleEvents.ERROR)).isEqualTo(Posix.POLLERR);
        assertThat(HandleEvents.toPoll(HandleEvents.HANGUP)).isEqualTo(Posix.POLLHUP);
        assertThat(HandleEvents.toPoll(HandleEvents.ALL))
                .isEqualTo(Posix.POLLIN | Posix.POLLOUT | Posix.POLLERR | Posix.POLLHUP);
    }

    @Test
    void pollBitsMapToHandleEvents() {
        assertThat(HandleEvents.fromPoll(0)).isZero();
        assertThat(HandleEvents.fromPoll(Posix.POLLIN)).isEqualTo(HandleEvents.READABLE);
        assertThat(HandleEvents.fromPoll(Posix.POLLOUT)).isEqualTo(HandleEvents.WRITABLE);
        assertThat(HandleEvents.fromPoll(Posix.POLLERR)).isEqualTo(HandleEvents.ERROR);
        assertThat(HandleEvents.fromPoll(Posix.POLLNVAL)).isEqualTo(HandleEvents.ERROR);
        assertThat(HandleEvents.fromPoll(Posix.POLLHUP)).isEqualTo(HandleEvents.HANGUP);
        assertThat(HandleEvents.fromPoll(Posix.POLLPRI)).as("no handle event for POLLPRI").isZero();
        assertThat(HandleEvents.fromPoll(Posix.POLLIN | Posix.POLLOUT | Posix.POLLERR | Posix.POLLHUP))
                .isEqualTo(HandleEvents.ALL);
    }

    @Test
    void everyHandleEventSurvivesTheRoundTrip() {
        for (int events = 0; events <= HandleEvents.ALL; events++) {
            assertThat(HandleEvents.fromPoll(HandleEvents.toPoll(events))).as("events %d", events).isEqualTo(events);
        }
    }
}
