package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.OsEventHooks;
import org.xlbridge.libxl.TimeEvent;
import org.xlbridge.posix.Posix;
import org.xlbridge.time.Millis;

/**
 * The bridge's arithmetic and bit mappings. The rounding rule itself ({@code org.xlbridge.time.Millis})
 * and the poll bits ↔ handle events mapping ({@link HandleEvents}) are tested where they live; here, that
 * the bridge asks the loop for what they say.
 */
class OsEventBridgeMappingTest {

    @Test
    void theTimerIsRoundedUpSoTheLoopNeverFiresBeforeTheDeadline() {
        ManualEventLoop manual = new ManualEventLoop();
        ManualDriver d = new ManualDriver(manual, BridgeListener.NONE);
        AtomicInteger fired = new AtomicInteger();
        TimeEvent e = d.ctx.newTimeEvent();
        e.registerAbs(manual.nanoTime() + 1_000_001, (ev, deadline, rc) -> fired.incrementAndGet());

        int timer = manual.liveTimeouts().get(0);
        assertThat(manual.timeoutFrequency(timer)).hasValue(2);
        manual.advance(Duration.ofMillis(1));
        manual.runDue();
        assertThat(fired.get()).as("1 ms is before the deadline").isZero();
        manual.advance(Duration.ofMillis(1));
        manual.runDue();
        assertThat(fired.get()).isEqualTo(1);
    }

    @Test
    void aFarFutureDeadlineIsClampedToIntegerMax() {
        ManualEventLoop manual = new ManualEventLoop();
        ManualDriver d = new ManualDriver(manual, BridgeListener.NONE);
        d.ctx.newTimeEvent().registerAbs(Long.MAX_VALUE, (ev, deadline, rc) -> { });

        assertThat(manual.timeoutFrequency(manual.liveTimeouts().get(0))).hasValue(Integer.MAX_VALUE);
    }

    @Test
    void asapGivesZeroOnEveryClock() {
        // ASAP is Long.MIN_VALUE: never after any clock reading, even one where the subtraction would overflow.
        assertThat(Millis.until(OsEventHooks.ASAP, 123)).isZero();
        assertThat(Millis.until(OsEventHooks.ASAP, Long.MIN_VALUE + 1)).isZero();
        assertThat(Millis.until(OsEventHooks.ASAP, Long.MAX_VALUE)).isZero();
    }

    @Test
    void aPastDeadlineAsksForZero() {
        ManualEventLoop manual = new ManualEventLoop();
        ManualDriver d = new ManualDriver(manual, BridgeListener.NONE);
        d.ctx.newTimeEvent().registerAbs(manual.nanoTime() - 5, (ev, deadline, rc) -> { });

        assertThat(manual.timeoutFrequency(manual.liveTimeouts().get(0))).hasValue(0);
    }

    @Test
    void pollBitsMapToHandleBitsWithErrorAlways() {
        assertThat(OsEventBridge.toHandleEvents(0)).isEqualTo(HandleEvents.ERROR);
        assertThat(OsEventBridge.toHandleEvents(Posix.POLLIN)).isEqualTo(HandleEvents.READABLE | HandleEvents.ERROR);
        assertThat(OsEventBridge.toHandleEvents(Posix.POLLOUT)).isEqualTo(HandleEvents.WRITABLE | HandleEvents.ERROR);
        assertThat(OsEventBridge.toHandleEvents(Posix.POLLIN | Posix.POLLOUT))
                .isEqualTo(HandleEvents.READABLE | HandleEvents.WRITABLE | HandleEvents.ERROR);
    }
}
