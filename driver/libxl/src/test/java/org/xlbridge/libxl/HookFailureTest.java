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

/** A hook that fails leaves the registration unchanged, returns its nexus to the pool, and is counted. */
class HookFailureTest {
    private final VirtualClock clock = new VirtualClock();
    private final RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
    private final LibxlContext ctx = hooks.newContext();

    @AfterEach
    void closeCtx() {
        ctx.close();
    }

    @Test
    void refusedTimeoutRegisterLeavesTheEventUnregisteredAndTheNexusIdle() {
        hooks.failNext(Kind.TIMEOUT_REGISTER, LibxlError.OSEVENT_REG_FAIL);
        TimeEvent e = ctx.newTimeEvent();
        AtomicInteger fired = new AtomicInteger();

        assertThatThrownBy(() -> e.registerRel(10, (ev, d, rc) -> fired.incrementAndGet()))
                .isInstanceOf(LibxlException.class)
                .satisfies(ex -> assertThat(((LibxlException) ex).error()).isEqualTo(LibxlError.OSEVENT_REG_FAIL));

        assertThat(e.isRegistered()).isFalse();
        LibxlStats s = ctx.stats();
        assertThat(s.registeredTimeEvents()).isZero();
        assertThat(s.timeoutNexiInUse()).isZero();
        assertThat(s.timeoutNexiIdle()).isEqualTo(1);
        assertThat(s.hookFailures()).isEqualTo(1);
        assertThat(hooks.timeouts()).as("the application kept nothing").isEmpty();
        assertThat(ctx.beforePoll().timeoutMs()).as("nothing to wait for").isEqualTo(-1);

        // The same event registers fine afterwards, with the recycled nexus.
        e.registerRel(10, (ev, d, rc) -> fired.incrementAndGet());
        assertThat(hooks.lastTimeout().token().nexusId()).isEqualTo(1);
        hooks.runUntilQuiet(ctx, 5);
        assertThat(fired).hasValue(1);
        assertThat(ctx.stats().busyNexi()).isZero();
        hooks.assertNoViolations();
    }

    @Test
    void aRuntimeExceptionFromTimeoutRegisterIsReportedAsOseventRegFail() {
        IllegalStateException boom = new IllegalStateException("loop full");
        hooks.onNext(Kind.TIMEOUT_REGISTER, () -> {
            throw boom;
        });
        TimeEvent e = ctx.newTimeEvent();
        assertThatThrownBy(() -> e.registerAbs(clock.nanoTime() + 5, (ev, d, rc) -> { }))
                .isInstanceOf(LibxlException.class).hasCause(boom)
                .satisfies(ex -> assertThat(((LibxlException) ex).error()).isEqualTo(LibxlError.OSEVENT_REG_FAIL));
        assertThat(e.isRegistered()).isFalse();
        assertThat(ctx.stats().timeoutNexiInUse()).isZero();
        assertThat(ctx.stats().hookFailures()).isEqualTo(1);
    }

    @Test
    void refusedFdRegisterAndFdModifyChangeNothing() {
        try (TestPipe p = TestPipe.open()) {
            FdEvent f = ctx.newFdEvent();
            hooks.failNext(Kind.FD_REGISTER, LibxlError.OSEVENT_REG_FAIL);
            assertThatThrownBy(() -> f.register(p.readFd(), Posix.POLLIN, (ev, fd, e, r) -> { }))
                    .isInstanceOf(LibxlException.class);
            assertThat(f.isRegistered()).isFalse();
            assertThat(f.fd()).isEqualTo(-1);
            LibxlStats s = ctx.stats();
            assertThat(s.registeredFdEvents()).isZero();
            assertThat(s.fdNexiInUse()).isZero();
            assertThat(s.fdNexiIdle()).isEqualTo(1);

            f.register(p.readFd(), Posix.POLLIN, (ev, fd, e, r) -> { });
            hooks.failNext(Kind.FD_MODIFY, LibxlError.FAIL);
            assertThatThrownBy(() -> f.modify(Posix.POLLIN | Posix.POLLPRI))
                    .isInstanceOf(LibxlException.class)
                    .satisfies(ex -> assertThat(((LibxlException) ex).error()).isEqualTo(LibxlError.FAIL));
            assertThat(f.events()).as("events unchanged").isEqualTo(Posix.POLLIN);
            assertThat(hooks.lastFd().events()).isEqualTo(Posix.POLLIN);
            assertThat(ctx.stats().hookFailures()).isEqualTo(2);
            assertThat(ctx.stats().fdNexiInUse()).isEqualTo(1);

            f.modify(Posix.POLLIN | Posix.POLLPRI);
            assertThat(f.events()).isEqualTo(Posix.POLLIN | Posix.POLLPRI);
            f.deregister();
            assertThat(ctx.stats().fdNexiInUse()).isZero();
            hooks.assertNoViolations();
        }
    }

    @Test
    void aFailedTimeoutModifyStillDeregistersAndTheNexusWaitsForTheOriginalDeadline() {
        TimeEvent e = ctx.newTimeEvent();
        AtomicInteger fired = new AtomicInteger();
        e.registerRel(100, (ev, d, rc) -> fired.incrementAndGet());
        AppTimeout reg = hooks.lastTimeout();
        hooks.failNext(Kind.TIMEOUT_MODIFY, LibxlError.OSEVENT_REG_FAIL);

        e.deregister(); // cannot fail: libxl ignores this hook's result

        assertThat(e.isRegistered()).isFalse();
        assertThat(reg.asapRequests()).as("the application's registration is unchanged").isZero();
        assertThat(ctx.stats().hookFailures()).isEqualTo(1);
        assertThat(ctx.stats().timeoutNexiInUse()).as("still owed its occurredTimeout").isEqualTo(1);
        assertThat(hooks.deliverDueTimeouts(ctx)).as("not due yet: the ASAP request failed").isZero();

        clock.advanceMillis(100);
        hooks.deliverDueTimeouts(ctx);
        assertThat(fired).as("deregistered events never fire").hasValue(0);
        LibxlStats s = ctx.stats();
        assertThat(s.staleTimeoutsDiscarded()).isEqualTo(1);
        assertThat(s.timeoutNexiInUse()).isZero();
        hooks.assertNoViolations();
    }
}
