package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.OsEventHooks;
import org.xlbridge.libxl.TimeEvent;

/**
 * A faulty loop dispatches a registration after its FreeCallback ran, or frees it twice: the bridge
 * must report it and touch nothing (no occurredTimeout, no loop call).
 */
class UseAfterFreeProbeTest {

    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final AtomicReference<TimeoutRegistration> lastFreed = new AtomicReference<>();
    private final BridgeListener listener = new BridgeListener() {
        @Override
        public void violation(String what) {
            violations.add(what);
        }

        @Override
        public void timeoutFreed(TimeoutRegistration reg, int previousState) {
            lastFreed.set(reg);
        }
    };

    @Test
    void lateDispatchAfterFreeIsReportedAndIgnored() throws Exception {
        ManualEventLoop manual = new ManualEventLoop();
        CapturingEventLoop loop = new CapturingEventLoop(manual);
        ManualDriver d = new ManualDriver(loop, manual, listener, DeregistrationProtocol.ASAP_MODIFY);
        AtomicInteger fired = new AtomicInteger();
        TimeEvent e = d.ctx.newTimeEvent();
        e.registerRel(5, (ev, deadline, rc) -> fired.incrementAndGet());
        manual.advance(Duration.ofMillis(5));
        manual.runDue();
        assertThat(fired.get()).isEqualTo(1);
        assertThat(d.bridge.stats().timeoutFrees()).isEqualTo(1);
        int timer = loop.timeoutCallbacks.keySet().iterator().next();

        // A second event reuses the (now idle) nexus: a late dispatch must not reach it.
        TimeEvent f = d.ctx.newTimeEvent();
        f.registerRel(60_000, (ev, deadline, rc) -> fired.incrementAndGet());
        long staleBefore = d.ctx.stats().staleTimeoutsDiscarded();

        loop.timeoutCallbacks.get(timer).onTimeout(timer);

        assertThat(violations).hasSize(1);
        assertThat(violations.get(0)).contains("after free");
        BridgeStats b = d.bridge.stats();
        assertThat(b.violations()).isEqualTo(1);
        assertThat(b.occurredDelivered()).as("no occurredTimeout for a freed registration").isEqualTo(1);
        assertThat(d.ctx.stats().staleTimeoutsDiscarded()).isEqualTo(staleBefore);
        assertThat(fired.get()).as("the newer event did not fire").isEqualTo(1);
        assertThat(f.isRegistered()).isTrue();
    }

    @Test
    void doubleFreeIsReportedAndCountsOnce() throws Exception {
        ManualEventLoop manual = new ManualEventLoop();
        CapturingEventLoop loop = new CapturingEventLoop(manual);
        ManualDriver d = new ManualDriver(loop, manual, listener, DeregistrationProtocol.ASAP_MODIFY);
        d.ctx.newTimeEvent().registerRel(5, (ev, deadline, rc) -> { });
        manual.advance(Duration.ofMillis(5));
        manual.runDue();
        int timer = loop.timeoutFrees.keySet().iterator().next();

        loop.timeoutFrees.get(timer).free();

        assertThat(violations).singleElement().asString().contains("double free");
        assertThat(d.bridge.stats().timeoutFrees()).isEqualTo(1);
        assertThat(d.bridge.stats().liveTimeouts()).isZero();
    }

    @Test
    void modifyOfAFreedRegistrationIsReportedAndDoesNotTouchTheLoop() throws Exception {
        ManualEventLoop manual = new ManualEventLoop();
        ManualDriver d = new ManualDriver(manual, manual, listener, DeregistrationProtocol.ASAP_MODIFY);
        d.ctx.newTimeEvent().registerRel(5, (ev, deadline, rc) -> { });
        manual.advance(Duration.ofMillis(5));
        manual.runDue();
        int liveBefore = manual.stats().liveTimeouts();
        TimeoutRegistration freed = lastFreed.get();
        assertThat(freed).isNotNull();
        assertThat(freed.state()).isEqualTo(TimeoutRegistration.FREED);

        Object same = d.bridge.timeoutModify(freed, OsEventHooks.ASAP);

        assertThat(same).isSameAs(freed);
        assertThat(violations).singleElement().asString().contains("freed");
        assertThat(manual.stats().liveTimeouts()).isEqualTo(liveBefore);
    }
}
