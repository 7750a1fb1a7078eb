package org.xlbridge.driver.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.eventloop.testing.ManualEventLoop;

/** The libvirt timer pattern and delivery rules of {@link DomainEventQueue}, step by step on virtual time. */
class DomainEventQueueManualTest {
    private final ManualEventLoop loop = new ManualEventLoop();
    private final DomainEventQueue events = new DomainEventQueue(loop, "test");

    private static DomainEvent ev(DomainEventType type) {
        return new DomainEvent(type, 0);
    }

    private record Got(String listener, Domain domain, DomainEventType type, Thread thread) {
    }

    private final List<Got> got = new ArrayList<>();

    private LifecycleListener recording(String name) {
        return (d, e) -> got.add(new Got(name, d, e.getType(), Thread.currentThread()));
    }

    @AfterEach
    void tearDown() {
        events.close();
        loop.close();
    }

    @Test
    void libvirtTimerPattern() {
        // No listener: no timer, and events are dropped, as libvirt drops them.
        assertThat(events.queue(TestDomain.of("a", 0), ev(DomainEventType.STARTED))).isFalse();
        assertThat(loop.liveTimeouts()).isEmpty();
        assertThat(events.stats().dropped()).isEqualTo(1);

        events.addListener(recording("L"));
        int timer = events.timerId();
        assertThat(loop.liveTimeouts()).containsExactly(timer);
        assertThat(loop.timeoutFrequency(timer)).isEqualTo(OptionalInt.of(-1));

        // Empty -> non-empty arms the timer at 0; a second event does not touch it again.
        events.queue(TestDomain.of("a", 1), ev(DomainEventType.STARTED));
        assertThat(loop.timeoutFrequency(timer)).isEqualTo(OptionalInt.of(0));
        events.queue(TestDomain.of("a", 2), ev(DomainEventType.SUSPENDED));
        assertThat(events.stats().timerArms()).isEqualTo(1);
        assertThat(got).isEmpty(); // nothing is delivered on the queuing thread

        loop.runDue();
        assertThat(got).extracting(Got::type).containsExactly(DomainEventType.STARTED, DomainEventType.SUSPENDED);
        assertThat(got).allSatisfy(g -> assertThat(g.thread()).isSameAs(Thread.currentThread()));
        assertThat(loop.timeoutFrequency(timer)).isEqualTo(OptionalInt.of(-1));
        assertThat(events.stats().flushes()).isEqualTo(1);

        // A disarmed timer does not fire again.
        loop.runDue();
        assertThat(events.stats().flushes()).isEqualTo(1);
    }

    @Test
    void timerIsDisarmedWhenTheFlushStartsAndReArmedByAnEventQueuedDuringIt() {
        AtomicReference<OptionalInt> seenDuringFlush = new AtomicReference<>();
        events.addListener((d, e) -> {
            if (e.getType() == DomainEventType.STARTED) {
                seenDuringFlush.set(loop.timeoutFrequency(events.timerId()));
                events.queue(TestDomain.of("a", 2), ev(DomainEventType.STOPPED)); // races the running flush
            }
            got.add(new Got("L", d, e.getType(), Thread.currentThread()));
        });
        events.queue(TestDomain.of("a", 1), ev(DomainEventType.STARTED));
        loop.runDue();
        assertThat(seenDuringFlush.get()).isEqualTo(OptionalInt.of(-1));
        // The event queued inside the flush is not in that flush; it re-armed the timer for the next one.
        assertThat(got).extracting(Got::type).containsExactly(DomainEventType.STARTED);
        assertThat(loop.timeoutFrequency(events.timerId())).isEqualTo(OptionalInt.of(0));
        loop.runDue();
        assertThat(got).extracting(Got::type).containsExactly(DomainEventType.STARTED, DomainEventType.STOPPED);
        assertThat(events.stats().timerArms()).isEqualTo(2);
    }

    @Test
    void everyListenerGetsEachEventOnceInQueueOrder() {
        events.addListener(recording("A"));
        events.addListener(recording("B"));
        for (int i = 0; i < 5; i++) {
            events.queue(TestDomain.of("d" + (i % 2), i), ev(DomainEventType.values()[i]));
        }
        loop.runDue();
        assertThat(got).extracting(g -> g.listener() + ((TestDomain) g.domain()).seq())
                .containsExactly("A0", "B0", "A1", "B1", "A2", "B2", "A3", "B3", "A4", "B4");
        assertThat(events.stats().delivered()).isEqualTo(10);
    }

    @Test
    void aListenerRemovedDuringAFlushGetsNothingMore() {
        LifecycleListener b = recording("B");
        events.addListener((d, e) -> {
            got.add(new Got("A", d, e.getType(), Thread.currentThread()));
            if (((TestDomain) d).seq() == 0) {
                events.removeListener(b);
            }
        });
        events.addListener(b);
        events.queue(TestDomain.of("a", 0), ev(DomainEventType.STARTED));
        events.queue(TestDomain.of("a", 1), ev(DomainEventType.STOPPED));
        loop.runDue();
        assertThat(got).extracting(Got::listener).containsExactly("A", "A");
        assertThat(events.listenerCount()).isEqualTo(1);
    }

    @Test
    void theLastListenerRemovingItselfRemovesTheTimerAtTheEndOfTheFlush() {
        AtomicReference<Boolean> timerLiveInside = new AtomicReference<>();
        LifecycleListener[] self = new LifecycleListener[1];
        self[0] = (d, e) -> {
            got.add(new Got("A", d, e.getType(), Thread.currentThread()));
            events.removeListener(self[0]);
            timerLiveInside.set(loop.isTimeoutLive(events.timerId()));
        };
        events.addListener(self[0]);
        int timer = events.timerId();
        events.queue(TestDomain.of("a", 0), ev(DomainEventType.STARTED));
        events.queue(TestDomain.of("a", 1), ev(DomainEventType.STOPPED));
        loop.runDue();
        assertThat(got).hasSize(1);
        assertThat(timerLiveInside.get()).isTrue(); // libvirt purges at the end of the flush, not inside
        assertThat(loop.isTimeoutLive(timer)).isFalse();
        assertThat(events.timerId()).isEqualTo(-1);
        assertThat(events.queue(TestDomain.of("a", 2), ev(DomainEventType.STARTED))).isFalse();
    }

    @Test
    void aThrowingListenerDoesNotStopTheOthers() {
        events.addListener((d, e) -> {
            throw new IllegalStateException("listener bug");
        });
        events.addListener(recording("B"));
        events.queue(TestDomain.of("a", 0), ev(DomainEventType.STARTED));
        loop.runDue();
        assertThat(got).extracting(Got::listener).containsExactly("B");
        assertThat(events.stats().listenerFailures()).isEqualTo(1);
        assertThat(loop.timeoutFrequency(events.timerId())).isEqualTo(OptionalInt.of(-1));
    }

    @Test
    void removingTheLastListenerRemovesTheTimerAndDropsTheQueue() {
        LifecycleListener a = recording("A");
        events.addListener(a);
        int timer = events.timerId();
        events.queue(TestDomain.of("a", 0), ev(DomainEventType.STARTED));
        events.removeListener(a);
        assertThat(loop.isTimeoutLive(timer)).isFalse();
        assertThat(events.pending()).isZero();
        loop.runDue();
        assertThat(got).isEmpty();
        // A new listener gets a new timer.
        events.addListener(a);
        assertThat(events.timerId()).isNotEqualTo(timer).isPositive();
    }

    @Test
    void badCallsAreClearErrorsAndChangeNothing() {
        LifecycleListener a = recording("A");
        assertThatThrownBy(() -> events.addListener(null)).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_ARG));
        assertThatThrownBy(() -> events.removeListener(a)).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_ARG));
        events.addListener(a);
        assertThatThrownBy(() -> events.addListener(a)).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_ARG))
                .hasMessageContaining("already registered");
        assertThat(events.listenerCount()).isEqualTo(1);
        assertThat(loop.liveTimeouts()).hasSize(1);
        assertThatThrownBy(() -> events.queue(null, ev(DomainEventType.STARTED)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closeRemovesTheTimerAndRefusesNewListeners() {
        events.addListener(recording("A"));
        int timer = events.timerId();
        events.queue(TestDomain.of("a", 0), ev(DomainEventType.STARTED));
        events.close();
        assertThat(loop.isTimeoutLive(timer)).isFalse();
        loop.runDue();
        assertThat(got).isEmpty();
        assertThatThrownBy(() -> events.addListener(recording("B"))).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_CONN));
        events.close(); // idempotent
    }

    @Test
    void aLoopThatRefusesTheTimerLeavesNothingRegistered() {
        loop.close();
        assertThatThrownBy(() -> events.addListener(recording("A"))).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INTERNAL_ERROR));
        assertThat(events.listenerCount()).isZero();
        assertThat(events.timerId()).isEqualTo(-1);
    }
}
