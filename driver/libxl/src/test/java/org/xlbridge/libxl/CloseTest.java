package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.RecordingHooks.AppTimeout;
import org.xlbridge.libxl.RecordingHooks.Kind;
import org.xlbridge.libxl.RecordingHooks.TimeoutState;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.TestPipe;

/** close() is libxl_ctx_free: everything deregistered through the protocol, late occurred* ignored, no leak. */
class CloseTest {

    @Test
    void closeUnderAsapModifyDeregistersEverythingAndLateDeliveriesDrainTheNexi() {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        LibxlContext ctx = hooks.newContext();
        List<String> fired = new ArrayList<>();
        try (TestPipe p = TestPipe.open()) {
            TimeEvent t1 = ctx.newTimeEvent();
            TimeEvent t2 = ctx.newTimeEvent();
            TimeEvent t3 = ctx.newTimeEvent();
            FdEvent f = ctx.newFdEvent();
            t1.registerRel(100, (ev, d, rc) -> fired.add("t1"));
            AppTimeout r1 = hooks.lastTimeout();
            t2.registerRel(200, (ev, d, rc) -> fired.add("t2"));
            t3.registerRel(-1, (ev, d, rc) -> fired.add("t3"));
            f.register(p.readFd(), Posix.POLLIN, (ev, fd, e, r) -> fired.add("f"));
            RecordingHooks.AppFd rf = hooks.lastFd();
            p.write(1);
            clock.advanceMillis(100);
            hooks.beginFiring(r1); // t1 is being dispatched as the ctx closes

            ctx.close();

            assertThat(ctx.isClosed()).isTrue();
            assertThat(hooks.count(Kind.TIMEOUT_MODIFY)).isEqualTo(2);
            assertThat(hooks.count(Kind.TIMEOUT_DEREGISTER)).isZero();
            assertThat(hooks.count(Kind.FD_DEREGISTER)).isEqualTo(1);
            assertThat(rf.registered()).isFalse();
            assertThat(t1.isRegistered() || t2.isRegistered() || t3.isRegistered() || f.isRegistered()).isFalse();
            LibxlStats s = ctx.stats();
            assertThat(s.registeredTimeEvents()).isZero();
            assertThat(s.registeredFdEvents()).isZero();
            assertThat(s.timeoutNexiInUse()).as("t1 and t2 still owe their occurredTimeout").isEqualTo(2);
            assertThat(s.fdNexiInUse()).isZero();

            // The application delivers what it owes: t1's dispatch, t2's ASAP, and a stale fd report.
            hooks.completeDelivery(ctx, r1);
            assertThat(hooks.deliverDueTimeouts(ctx)).isEqualTo(1);
            hooks.deliverFd(ctx, rf, Posix.POLLIN);

            assertThat(fired).as("no callback runs after close").isEmpty();
            s = ctx.stats();
            assertThat(s.occurredAfterClose()).isEqualTo(3);
            assertThat(s.timeoutNexiInUse()).as("I4: a closed ctx drains to zero busy nexi").isZero();
            assertThat(s.busyNexi()).isZero();
            assertThat(hooks.outstandingTimeouts()).isZero();

            ctx.close(); // idempotent
            assertThat(hooks.calls()).as("3 registers, 2 modify(ASAP), 1 fdDeregister; none more").hasSize(3 + 2 + 1);
            assertThatThrownBy(ctx::newTimeEvent).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(ctx::newFdEvent).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> t1.registerRel(5, (ev, d, rc) -> { })).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(ctx::beforePoll).isInstanceOf(IllegalStateException.class);
            t2.deregister(); // a no-op, not an error
            hooks.assertNoViolations();
        }
    }

    @Test
    void closeUnderLegacyDeregisterRecyclesTheNexiAtOnce() {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.LEGACY_DEREGISTER);
        LibxlContext ctx = hooks.newContext();
        ctx.newTimeEvent().registerRel(100, (ev, d, rc) -> { });
        ctx.newTimeEvent().registerRel(200, (ev, d, rc) -> { });

        ctx.close();

        assertThat(hooks.count(Kind.TIMEOUT_DEREGISTER)).isEqualTo(2);
        assertThat(hooks.count(Kind.TIMEOUT_MODIFY)).isZero();
        assertThat(hooks.timeouts()).extracting(AppTimeout::state)
                .containsOnly(TimeoutState.DEREGISTERED);
        assertThat(ctx.stats().timeoutNexiInUse()).isZero();
        hooks.assertNoViolations();
    }

    @Test
    void aCallbackMayCloseTheCtxAndLaterEventsDoNotFire() {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        LibxlContext ctx = hooks.newContext();
        List<String> fired = new ArrayList<>();
        ctx.newTimeEvent().registerRel(10, (ev, d, rc) -> {
            fired.add("first");
            ctx.close();
        });
        ctx.newTimeEvent().registerRel(10, (ev, d, rc) -> fired.add("second"));
        hooks.runUntilQuiet(ctx, 10);
        assertThat(fired).containsExactly("first");
        assertThat(ctx.stats().busyNexi()).isZero();
        assertThat(ctx.stats().occurredAfterClose()).isEqualTo(1);
        hooks.assertNoViolations();
    }

    @Test
    void closeFromInsideAHookIsRefused() {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        LibxlContext ctx = hooks.newContext();
        List<RuntimeException> caught = new ArrayList<>();
        hooks.onNext(Kind.TIMEOUT_REGISTER, () -> {
            try {
                ctx.close();
            } catch (RuntimeException e) {
                caught.add(e);
            }
        });
        ctx.newTimeEvent().registerRel(10, (ev, d, rc) -> { });
        assertThat(caught).singleElement().isInstanceOf(IllegalStateException.class);
        assertThat(ctx.isClosed()).isFalse();
        ctx.close();
        assertThat(ctx.isClosed()).isTrue();
    }
}
