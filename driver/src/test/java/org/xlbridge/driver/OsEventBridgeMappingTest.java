package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.libxl.OsEventHooks;
import org.xlbridge.posix.Posix;

/** The arithmetic and bit mappings of the bridge. */
class OsEventBridgeMappingTest {

    @Test
    void millisRoundUpSoTheLoopNeverFiresBeforeTheDeadline() {
        assertThat(OsEventBridge.millisUntil(1_000_000, 0)).isEqualTo(1);
        assertThat(OsEventBridge.millisUntil(1_000_001, 0)).isEqualTo(2);
        assertThat(OsEventBridge.millisUntil(999_999, 0)).isEqualTo(1);
        assertThat(OsEventBridge.millisUntil(1, 0)).isEqualTo(1);
        assertThat(OsEventBridge.millisUntil(5_500_000_000L, 500_000_000L)).isEqualTo(5000);
    }

    @Test
    void pastDeadlinesAndAsapGiveZero() {
        assertThat(OsEventBridge.millisUntil(0, 0)).isZero();
        assertThat(OsEventBridge.millisUntil(-5, 10)).isZero();
        assertThat(OsEventBridge.millisUntil(OsEventHooks.ASAP, 123)).isZero();
        assertThat(OsEventBridge.millisUntil(OsEventHooks.ASAP, Long.MIN_VALUE + 1)).isZero();
    }

    @Test
    void farFutureIsClampedToIntegerMax() {
        assertThat(OsEventBridge.millisUntil(Long.MAX_VALUE, 0)).isEqualTo(Integer.MAX_VALUE);
        assertThat(OsEventBridge.millisUntil(Long.MAX_VALUE, Long.MIN_VALUE + 1)).isEqualTo(Integer.MAX_VALUE);
        assertThat(OsEventBridge.millisUntil((Integer.MAX_VALUE + 1L) * 1_000_000L, 0)).isEqualTo(Integer.MAX_VALUE);
        assertThat(OsEventBridge.millisUntil((Integer.MAX_VALUE - 1L) * 1_000_000L, 0)).isEqualTo(Integer.MAX_VALUE - 1);
        // A deadline in the far past seen from a clock near Long.MAX_VALUE overflows the other way.
        assertThat(OsEventBridge.millisUntil(Long.MIN_VALUE + 1, Long.MAX_VALUE)).isZero();
    }

    @Test
    void pollBitsMapToHandleBitsWithErrorAlways() {
        assertThat(OsEventBridge.toHandleEvents(0)).isEqualTo(HandleEvents.ERROR);
        assertThat(OsEventBridge.toHandleEvents(Posix.POLLIN)).isEqualTo(HandleEvents.READABLE | HandleEvents.ERROR);
        assertThat(OsEventBridge.toHandleEvents(Posix.POLLOUT)).isEqualTo(HandleEvents.WRITABLE | HandleEvents.ERROR);
        assertThat(OsEventBridge.toHandleEvents(Posix.POLLIN | Posix.POLLOUT))
                .isEqualTo(HandleEvents.READABLE | HandleEvents.WRITABLE | HandleEvents.ERROR);
    }

    @Test
    void handleBitsMapBackToPollBits() {
        assertThat(OsEventBridge.toPollEvents(HandleEvents.READABLE)).isEqualTo(Posix.POLLIN);
        assertThat(OsEventBridge.toPollEvents(HandleEvents.WRITABLE)).isEqualTo(Posix.POLLOUT);
        assertThat(OsEventBridge.toPollEvents(HandleEvents.ERROR)).isEqualTo(Posix.POLLERR);
        assertThat(OsEventBridge.toPollEvents(HandleEvents.HANGUP)).isEqualTo(Posix.POLLHUP);
        assertThat(OsEventBridge.toPollEvents(HandleEvents.ALL))
                .isEqualTo(Posix.POLLIN | Posix.POLLOUT | Posix.POLLERR | Posix.POLLHUP);
    }
}
