package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.TestPipe;

/** Bad input gets a clear error and leaves the state intact. */
class ArgumentValidationTest {
    private final VirtualClock clock = new VirtualClock();
    private final RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
    private final LibxlContext ctx = hooks.newContext();

    @Test
    void nullOrForeignTokensAreRejectedAndChangeNothing() {
        RecordingHooks otherHooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        LibxlContext other = otherHooks.newContext();
        other.newTimeEvent().registerRel(0, (ev, d, rc) -> { });
        TimeoutToken foreign = otherHooks.lastTimeout().token();
        ctx.newTimeEvent().registerRel(0, (ev, d, rc) -> { });
        LibxlStats mineBefore = ctx.stats();
        LibxlStats otherBefore = other.stats();

        assertThatThrownBy(() -> ctx.occurredTimeout(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ctx.occurredTimeout(foreign)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong");
        assertThatThrownBy(() -> ctx.occurredFd(null, 3, Posix.POLLIN, Posix.POLLIN))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(ctx.stats()).isEqualTo(mineBefore);
        assertThat(other.stats()).isEqualTo(otherBefore);
        assertThat(other.stats().timeoutNexiInUse()).isEqualTo(1);
        other.close();
    }

    @Test
    void foreignFdTokensAreRejected() {
        RecordingHooks otherHooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        LibxlContext other = otherHooks.newContext();
        try (TestPipe p = TestPipe.open()) {
            other.newFdEvent().register(p.readFd(), Posix.POLLIN, (ev, fd, e, r) -> { });
            FdToken foreign = otherHooks.lastFd().token();
            assertThatThrownBy(() -> ctx.occurredFd(foreign, p.readFd(), Posix.POLLIN, Posix.POLLIN))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(other.stats().fdNexiInUse()).isEqualTo(1);
        } finally {
            other.close();
        }
    }

    @Test
    void registeringTwiceIsAnError() {
        TimeEvent e = ctx.newTimeEvent();
        e.registerRel(10, (ev, d, rc) -> { });
        assertThatThrownBy(() -> e.registerRel(20, (ev, d, rc) -> { })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> e.registerAbs(clock.nanoTime(), (ev, d, rc) -> { }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(hooks.count(RecordingHooks.Kind.TIMEOUT_REGISTER)).isEqualTo(1);
        assertThat(e.deadline()).isEqualTo(clock.nanoTime() + 10_000_000L);
    }

    @Test
    void badTimeAndFdArgumentsAreRejected() {
        assertThatThrownBy(() -> ctx.newTimeEvent().registerRel(10, null))
                .isInstanceOf(IllegalArgumentException.class);
        FdEvent f = ctx.newFdEvent();
        assertThatThrownBy(() -> f.register(-1, Posix.POLLIN, (ev, fd, e, r) -> { }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.register(0, 0x4000, (ev, fd, e, r) -> { }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.register(0, Posix.POLLIN, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.modify(Posix.POLLIN)).isInstanceOf(IllegalStateException.class);
        f.deregister(); // not registered: a no-op
        assertThat(hooks.calls()).isEmpty();
        assertThat(ctx.stats().busyNexi()).isZero();
    }

    @Test
    void farFutureRelativeDeadlinesSaturateInsteadOfOverflowing() {
        TimeEvent e = ctx.newTimeEvent();
        e.registerRel(Long.MAX_VALUE, (ev, d, rc) -> { });
        assertThat(e.deadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(ctx.beforePoll().timeoutMs()).isEqualTo(Integer.MAX_VALUE);
        assertThat(hooks.dueTimeouts()).isEmpty();
        ctx.close();
    }

    @Test
    void tokensDescribeThemselves() {
        ctx.newTimeEvent().registerRel(10, (ev, d, rc) -> { });
        TimeoutToken t = hooks.lastTimeout().token();
        assertThat(t.nexusId()).isEqualTo(1);
        assertThat(t.toString()).contains("timeout").contains("#1");
        ctx.close();
    }
}
