package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** registerRel with negative ms: registered, but never asks the application for anything and never fires. */
class InfiniteTimeoutTest {

    @Test
    void infiniteTimeoutsCallNoHookAndNeverFire() {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        LibxlContext ctx = hooks.newContext();
        TimeEvent e = ctx.newTimeEvent();
        AtomicInteger fired = new AtomicInteger();

        e.registerRel(-1, (ev, d, rc) -> fired.incrementAndGet());

        assertThat(e.isRegistered()).isTrue();
        assertThat(e.isInfinite()).isTrue();
        assertThat(e.deadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(hooks.calls()).as("no hook for an infinite timeout").isEmpty();
        LibxlStats s = ctx.stats();
        assertThat(s.registeredTimeEvents()).isEqualTo(1);
        assertThat(s.busyNexi()).isZero();
        PollRequest req = ctx.beforePoll();
        assertThat(req.timeoutMs()).as("an infinite timeout does not bound poll").isEqualTo(-1);

        clock.advanceMillis(1_000_000);
        ctx.afterPoll(req, new int[req.size()]);
        assertThat(fired).hasValue(0);

        e.deregister();
        assertThat(e.isRegistered()).isFalse();
        assertThat(hooks.calls()).as("and none to deregister it").isEmpty();
        assertThat(ctx.stats().registeredTimeEvents()).isZero();

        // Registered again, it is accounted for by close(), still without hooks.
        e.registerRel(-5, (ev, d, rc) -> fired.incrementAndGet());
        ctx.close();
        assertThat(e.isRegistered()).isFalse();
        assertThat(hooks.calls()).isEmpty();
        assertThat(fired).hasValue(0);
    }

    @Test
    void aFiniteRegistrationAfterAnInfiniteOneIsNotInfinite() {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        LibxlContext ctx = hooks.newContext();
        TimeEvent e = ctx.newTimeEvent();
        e.registerRel(-1, (ev, d, rc) -> { });
        e.deregister();
        AtomicInteger fired = new AtomicInteger();
        e.registerRel(0, (ev, d, rc) -> fired.incrementAndGet());
        assertThat(e.isInfinite()).isFalse();
        assertThat(e.deadline()).isEqualTo(clock.nanoTime());
        assertThat(hooks.count(RecordingHooks.Kind.TIMEOUT_REGISTER)).isEqualTo(1);
        hooks.deliverDueTimeouts(ctx);
        assertThat(fired).hasValue(1);
        hooks.assertNoViolations();
    }
}
