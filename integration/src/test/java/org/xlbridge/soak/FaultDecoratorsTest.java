package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.OsEventBridge;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.TimeEvent;

/**
 * The two fault decorators on the virtual-time loop: a callback of {@link ThrowingCallbacksLoop} does its
 * work before it throws, the loop counts the throw and goes on, and the next dispatch recovers it; a
 * registration {@link RefusingHooks} refuses leaves the ctx as it was (nothing registered, no nexus
 * held) and the next one works.
 */
class FaultDecoratorsTest {
    @Test
    void aThrowingCallbackHasDoneItsWorkTheLoopGoesOnAndTheNextDispatchRecoversIt() {
        ManualEventLoop loop = new ManualEventLoop();
        FaultLedger ledger = new FaultLedger();
        ThrowingCallbacksLoop view = new ThrowingCallbacksLoop(loop,
                FaultPlan.none().with(FaultKind.CALLBACK_THROW, 1.0), ledger, new SplittableRandom(1));
        AtomicInteger ran = new AtomicInteger();
        view.addTimeout(10, t -> ran.incrementAndGet(), null);
        loop.advance(Duration.ofMillis(10));
        loop.advance(Duration.ofMillis(10));
        assertThat(ran).hasValue(2);
        assertThat(loop.stats().callbackFailures()).isEqualTo(2);
        assertThat(ledger.counts(FaultKind.CALLBACK_THROW).injected()).isEqualTo(2);
        // the second dispatch recovered the first throw
        assertThat(ledger.counts(FaultKind.CALLBACK_THROW).recovered()).isEqualTo(1);
        loop.close();
    }

    @Test
    void withTheFaultOffTheViewAddsNothing() {
        ManualEventLoop loop = new ManualEventLoop();
        FaultLedger ledger = new FaultLedger();
        ThrowingCallbacksLoop view = new ThrowingCallbacksLoop(loop, FaultPlan.none(), ledger, new SplittableRandom(1));
        AtomicInteger ran = new AtomicInteger();
        view.addTimeout(0, t -> ran.incrementAndGet(), null);
        loop.runDue();
        assertThat(ran).hasValue(1);
        assertThat(loop.stats().callbackFailures()).isZero();
        loop.close();
    }

    @Test
    void aRefusedRegistrationLeavesTheCtxAsItWasAndTheNextOneWorks() throws Exception {
        ManualEventLoop loop = new ManualEventLoop();
        FaultLedger ledger = new FaultLedger();
        OsEventBridge bridge = new OsEventBridge(loop);
        FaultPlan half = FaultPlan.none().with(FaultKind.REG_FAIL, 0.5);
        RefusingHooks hooks = new RefusingHooks(bridge, half, ledger, new SplittableRandom(1));
        LibxlContext ctx = LibxlContext.builder().hooks(hooks).timeSource(loop.timeSource()).build();
        bridge.attach(ctx);
        TimeEvent ev = ctx.newTimeEvent();
        AtomicInteger fired = new AtomicInteger();

        int attempts = 0;
        while (ledger.counts(FaultKind.REG_FAIL).injected() == 0) {
            assertThat(attempts++).as("a refusal within 64 attempts at p=0.5").isLessThan(64);
            try {
                ev.registerRel(5, (e, requested, rc) -> fired.incrementAndGet());
                ev.deregister();
                loop.advance(Duration.ofMillis(1)); // the ASAP fire and the free
            } catch (LibxlException e) {
                assertThat(e.error()).isEqualTo(LibxlError.OSEVENT_REG_FAIL);
            }
        }
        // just refused: nothing registered anywhere, no nexus held
        assertThat(ev.isRegistered()).isFalse();
        assertThat(ctx.stats().busyNexi()).isZero();
        assertThat(bridge.stats().liveTimeouts()).isZero();
        assertThat(loop.stats().liveTimeouts()).isZero();
        // and a later registration works and fires
        boolean registered = false;
        for (int i = 0; i < 64 && !registered; i++) {
            try {
                ev.registerRel(5, (e, requested, rc) -> fired.incrementAndGet());
                registered = true;
            } catch (LibxlException e) {
                assertThat(e.error()).isEqualTo(LibxlError.OSEVENT_REG_FAIL);
            }
        }
        assertThat(registered).isTrue();
        loop.advance(Duration.ofMillis(5));
        assertThat(fired).hasValue(1);
        ctx.close();
        loop.close();
    }
}
