package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.RecordingHooks.AppTimeout;
import org.xlbridge.libxl.RecordingHooks.Kind;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.TestPipe;

/**
 * The ctx's rule for failures of the application's code, the same as the event loops' callback-error rule:
 * anything a hook or a callback throws is its failure (counted; a register hook's failure refuses the
 * registration) except a {@link VirtualMachineError} other than {@link StackOverflowError}, which is counted
 * too and then propagates, with the ctx's state consistent.
 */
class FailureRuleTest {
    private final VirtualClock clock = new VirtualClock();
    private final RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
    private final LibxlContext ctx = hooks.newContext();

    @AfterEach
    void closeCtx() {
        ctx.close();
    }

    @Test
    void anErrorFromARegisterHookIsARefusalThatChangesNothing() {
        AssertionError bug = new AssertionError("bug in the application's hook");
        hooks.onNext(Kind.TIMEOUT_REGISTER, () -> {
            throw bug;
        });
        TimeEvent e = ctx.newTimeEvent();

        assertThatThrownBy(() -> e.registerRel(10, (ev, d, rc) -> { }))
                .isInstanceOf(LibxlException.class).hasCause(bug)
                .satisfies(ex -> assertThat(((LibxlException) ex).error()).isEqualTo(LibxlError.OSEVENT_REG_FAIL));
        assertThat(e.isRegistered()).isFalse();
        assertThat(ctx.stats().timeoutNexiInUse()).isZero();
        assertThat(ctx.stats().hookFailures()).isEqualTo(1);
    }

    @Test
    void aVirtualMachineErrorFromARegisterHookPropagatesAndChangesNothing() {
        OutOfMemoryError oom = new OutOfMemoryError("simulated");
        hooks.onNext(Kind.TIMEOUT_REGISTER, () -> {
            throw oom;
        });
        TimeEvent e = ctx.newTimeEvent();

        assertThatThrownBy(() -> e.registerRel(10, (ev, d, rc) -> { })).isSameAs(oom);
        assertThat(e.isRegistered()).isFalse();
        LibxlStats s = ctx.stats();
        assertThat(s.timeoutNexiInUse()).as("the nexus went back to the pool").isZero();
        assertThat(s.timeoutNexiIdle()).isEqualTo(1);
        assertThat(s.hookFailures()).isEqualTo(1);

        // Not stuck "in a hook": the ctx works on.
        AtomicInteger fired = new AtomicInteger();
        e.registerRel(10, (ev, d, rc) -> fired.incrementAndGet());
        hooks.runUntilQuiet(ctx, 5);
        assertThat(fired).hasValue(1);
    }

    @Test
    void aVirtualMachineErrorFromAnFdModifyHookPropagatesAndLeavesTheBits() {
        try (TestPipe p = TestPipe.open()) {
            FdEvent f = ctx.newFdEvent();
            f.register(p.readFd(), Posix.POLLIN, (ev, fd, events, revents) -> { });
            OutOfMemoryError oom = new OutOfMemoryError("simulated");
            hooks.onNext(Kind.FD_MODIFY, () -> {
                throw oom;
            });

            assertThatThrownBy(() -> f.modify(Posix.POLLIN | Posix.POLLOUT)).isSameAs(oom);
            assertThat(f.events()).isEqualTo(Posix.POLLIN);
            assertThat(ctx.stats().hookFailures()).isEqualTo(1);
            f.deregister();
        }
    }

    @Test
    void anErrorFromADeregisterHookIsCountedAndTheDeregistrationStands() {
        try (TestPipe p = TestPipe.open()) {
            FdEvent f = ctx.newFdEvent();
            f.register(p.readFd(), Posix.POLLIN, (ev, fd, events, revents) -> { });
            hooks.onNext(Kind.FD_DEREGISTER, () -> {
                throw new AssertionError("bug in the application's hook");
            });

            f.deregister();

            assertThat(f.isRegistered()).isFalse();
            LibxlStats s = ctx.stats();
            assertThat(s.registeredFdEvents()).isZero();
            assertThat(s.fdNexiInUse()).isZero();
            assertThat(s.hookFailures()).isEqualTo(1);
        }
    }

    @Test
    void anErrorFromATimeCallbackIsCountedAndDeliveryGoesOn() {
        AtomicInteger fired = new AtomicInteger();
        ctx.newTimeEvent().registerRel(5, (ev, d, rc) -> {
            throw new AssertionError("bug in the toolstack's callback");
        });
        ctx.newTimeEvent().registerRel(10, (ev, d, rc) -> fired.incrementAndGet());

        hooks.runUntilQuiet(ctx, 5);

        assertThat(fired).hasValue(1);
        assertThat(ctx.stats().callbackFailures()).isEqualTo(1);
        assertThat(ctx.stats().busyNexi()).isZero();
        hooks.assertNoViolations();
    }

    @Test
    void aStackOverflowFromACallbackIsCountedLikeAnyOtherBug() {
        ctx.newTimeEvent().registerRel(5, (ev, d, rc) -> {
            throw new StackOverflowError();
        });

        hooks.runUntilQuiet(ctx, 5);

        assertThat(ctx.stats().callbackFailures()).isEqualTo(1);
        assertThat(ctx.stats().busyNexi()).isZero();
    }

    @Test
    void aVirtualMachineErrorFromATimeCallbackPropagatesWithTheCtxConsistent() {
        OutOfMemoryError oom = new OutOfMemoryError("simulated");
        TimeEvent e = ctx.newTimeEvent();
        e.registerRel(5, (ev, d, rc) -> {
            throw oom;
        });
        clock.advanceMillis(5);
        AppTimeout t = hooks.lastTimeout();
        hooks.beginFiring(t);

        assertThatThrownBy(() -> hooks.completeDelivery(ctx, t)).isSameAs(oom);

        LibxlStats s = ctx.stats();
        assertThat(e.isRegistered()).isFalse();
        assertThat(s.busyNexi()).as("the nexus was released before the callback ran").isZero();
        assertThat(s.callbackFailures()).as("counted, then propagated").isEqualTo(1);
        assertThat(s.timeoutsFired()).isEqualTo(1);
    }

    @Test
    void aVirtualMachineErrorFromAnFdCallbackPropagatesAndTheEventStaysRegistered() {
        try (TestPipe p = TestPipe.open()) {
            OutOfMemoryError oom = new OutOfMemoryError("simulated");
            FdEvent f = ctx.newFdEvent();
            f.register(p.readFd(), Posix.POLLIN, (ev, fd, events, revents) -> {
                throw oom;
            });
            p.write(1);

            assertThatThrownBy(() -> hooks.deliverFd(ctx, hooks.lastFd(), Posix.POLLIN)).isSameAs(oom);
            assertThat(f.isRegistered()).isTrue();
            assertThat(ctx.stats().callbackFailures()).as("counted, then propagated").isEqualTo(1);
            f.deregister();
        }
    }
}
