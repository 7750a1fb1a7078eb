package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.RecordingHooks.Kind;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.TestPipe;

/** I6: occurred* from inside a hook throws, names the rule, never deadlocks, and leaves the ctx usable. */
class ReentrancyTest {
    private static final String RULE = "occurred* must not be called from inside an osevent hook";

    private final VirtualClock clock = new VirtualClock();
    private final RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
    private final LibxlContext ctx = hooks.newContext();

    @AfterEach
    void closeCtx() {
        ctx.close();
    }

    @Test
    void occurredTimeoutFromInsideTimeoutRegisterThrowsAndTheCtxStaysUsable() {
        TimeEvent due = ctx.newTimeEvent();
        AtomicInteger dueFired = new AtomicInteger();
        due.registerRel(0, (ev, d, rc) -> dueFired.incrementAndGet());
        TimeoutToken dueToken = hooks.lastTimeout().token();

        List<RuntimeException> caught = new ArrayList<>();
        hooks.onNext(Kind.TIMEOUT_REGISTER, () -> {
            try {
                ctx.occurredTimeout(dueToken);
            } catch (RuntimeException e) {
                caught.add(e);
            }
        });
        TimeEvent other = ctx.newTimeEvent();
        other.registerRel(50, (ev, d, rc) -> { });

        assertThat(caught).hasSize(1);
        assertThat(caught.get(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining(RULE);
        assertThat(other.isRegistered()).as("the hook swallowed it, so the registration succeeded").isTrue();
        assertThat(due.isRegistered()).as("the refused call changed nothing").isTrue();
        assertThat(dueFired).hasValue(0);

        hooks.deliverDueTimeouts(ctx);
        assertThat(dueFired).as("the ctx still works").hasValue(1);
        hooks.runUntilQuiet(ctx, 10);
        assertThat(ctx.stats().busyNexi()).isZero();
        hooks.assertNoViolations();
    }

    @Test
    void occurredFdFromInsideFdRegisterThrows() {
        try (TestPipe p = TestPipe.open()) {
            FdEvent first = ctx.newFdEvent();
            first.register(p.readFd(), Posix.POLLIN, (ev, fd, e, r) -> { });
            FdToken firstToken = hooks.lastFd().token();
            AtomicReference<RuntimeException> caught = new AtomicReference<>();
            hooks.onNext(Kind.FD_REGISTER, () -> {
                try {
                    ctx.occurredFd(firstToken, p.readFd(), Posix.POLLIN, Posix.POLLIN);
                } catch (RuntimeException e) {
                    caught.set(e);
                }
            });
            ctx.newFdEvent().register(p.writeFd(), Posix.POLLOUT, (ev, fd, e, r) -> { });
            assertThat(caught.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining(RULE);
            assertThat(ctx.stats().registeredFdEvents()).isEqualTo(2);
            ctx.close();
        }
    }

    @Test
    void occurredTimeoutFromInsideTimeoutModifyThrowsAndTheDeregistrationCompletes() {
        TimeEvent e = ctx.newTimeEvent();
        e.registerRel(100, (ev, d, rc) -> { });
        TimeoutToken token = hooks.lastTimeout().token();
        AtomicReference<RuntimeException> caught = new AtomicReference<>();
        hooks.onNext(Kind.TIMEOUT_MODIFY, () -> {
            try {
                ctx.occurredTimeout(token);
            } catch (RuntimeException ex) {
                caught.set(ex);
            }
        });
        e.deregister();
        assertThat(caught.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining(RULE);
        assertThat(e.isRegistered()).isFalse();
        assertThat(ctx.stats().timeoutNexiInUse()).as("still owed its occurredTimeout").isEqualTo(1);
        hooks.deliverDueTimeouts(ctx);
        assertThat(ctx.stats().timeoutNexiInUse()).isZero();
        assertThat(ctx.stats().staleTimeoutsDiscarded()).isEqualTo(1);
        hooks.assertNoViolations();
    }

    @Test
    void anIllegalStateExceptionEscapingTheHookIsAHookFailure() {
        TimeEvent due = ctx.newTimeEvent();
        due.registerRel(0, (ev, d, rc) -> { });
        TimeoutToken dueToken = hooks.lastTimeout().token();
        hooks.onNext(Kind.TIMEOUT_REGISTER, () -> ctx.occurredTimeout(dueToken));
        TimeEvent other = ctx.newTimeEvent();

        assertThatThrownBy(() -> other.registerRel(50, (ev, d, rc) -> { }))
                .isInstanceOf(LibxlException.class)
                .hasCauseInstanceOf(IllegalStateException.class)
                .satisfies(ex -> {
                    assertThat(ex.getCause()).hasMessageContaining(RULE);
                    assertThat(((LibxlException) ex).error()).isEqualTo(LibxlError.OSEVENT_REG_FAIL);
                });
        assertThat(other.isRegistered()).isFalse();
        LibxlStats s = ctx.stats();
        assertThat(s.hookFailures()).isEqualTo(1);
        assertThat(s.timeoutNexiInUse()).as("only the due event's nexus").isEqualTo(1);
        assertThat(s.timeoutNexiIdle()).isEqualTo(1);
    }

    @Test
    void occurredFromAnotherThreadWhileAHookRunsWaitsInsteadOfThrowing() throws Exception {
        TimeEvent due = ctx.newTimeEvent();
        AtomicInteger dueFired = new AtomicInteger();
        due.registerRel(0, (ev, d, rc) -> dueFired.incrementAndGet());
        TimeoutToken dueToken = hooks.lastTimeout().token();

        CompletableFuture<Void> otherThread = new CompletableFuture<>();
        AtomicReference<Thread> deliverer = new AtomicReference<>();
        AtomicReference<Boolean> doneWhileHookRan = new AtomicReference<>();
        hooks.onNext(Kind.TIMEOUT_REGISTER, () -> {
            Thread t = new Thread(() -> {
                try {
                    ctx.occurredTimeout(dueToken);
                    otherThread.complete(null);
                } catch (Throwable ex) {
                    otherThread.completeExceptionally(ex);
                }
            }, "late-deliverer");
            deliverer.set(t);
            t.start();
            // Wait (bounded) until it is parked on the ctx lock, which this hook holds.
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (t.getState() != Thread.State.WAITING && !otherThread.isDone() && System.nanoTime() < giveUp) {
                Thread.onSpinWait();
            }
            doneWhileHookRan.set(otherThread.isDone());
        });
        ctx.newTimeEvent().registerRel(50, (ev, d, rc) -> { });

        assertThat(doneWhileHookRan.get()).as("the other thread must wait for the hook to return").isFalse();
        otherThread.get(5, TimeUnit.SECONDS); // no exception: it was not inside a hook
        deliverer.get().join(5_000);
        assertThat(dueFired).hasValue(1);
        hooks.assertNoViolations();
    }
}
