package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.RecordingHooks.AppTimeout;
import org.xlbridge.libxl.RecordingHooks.Kind;
import org.xlbridge.libxl.RecordingHooks.TimeoutState;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.TestPipe;

/** libxl's other integration: beforePoll / poll(2) / afterPoll, on real pipes and a virtual clock. */
class PollStyleTest {
    private final VirtualClock clock = new VirtualClock();
    private final List<String> fired = new ArrayList<>();

    private LibxlContext pollOnlyCtx() {
        return LibxlContext.builder().timeSource(clock).loggerName("test.libxl.poll").build();
    }

    /** One round as an application would run it, but with a zero poll timeout (time is virtual). */
    private static PollRequest round(LibxlContext ctx, PollFds pfds) {
        PollRequest req = ctx.beforePoll();
        req.fill(pfds, 0);
        pfds.poll(req.size(), 0);
        ctx.afterPoll(req, pfds, 0);
        return req;
    }

    @Test
    void fdsAndTimeoutsAreDispatchedWithoutHooks() {
        try (LibxlContext ctx = pollOnlyCtx(); TestPipe p = TestPipe.open(); PollFds pfds = new PollFds(4)) {
            FdEvent f = ctx.newFdEvent();
            f.register(p.readFd(), Posix.POLLIN, (ev, fd, events, revents) -> {
                fired.add("fd:" + revents);
                p.drain();
            });
            ctx.newTimeEvent().registerRel(50, (ev, d, rc) -> fired.add("t50@" + clock.millisSinceStart()));
            ctx.newTimeEvent().registerRel(100, (ev, d, rc) -> fired.add("t100@" + clock.millisSinceStart()));

            PollRequest req = ctx.beforePoll();
            assertThat(req.size()).as("the fd and the wakeup pipe").isEqualTo(2);
            assertThat(req.fd(0)).isEqualTo(p.readFd());
            assertThat(req.events(0)).isEqualTo(Posix.POLLIN);
            assertThat(req.isWakeup(0)).isFalse();
            assertThat(req.isWakeup(1)).isTrue();
            assertThat(req.timeoutMs()).isEqualTo(50);

            round(ctx, pfds);
            assertThat(fired).as("nothing ready, nothing due").isEmpty();

            p.write(3);
            round(ctx, pfds);
            assertThat(fired).containsExactly("fd:" + Posix.POLLIN);

            clock.advanceMillis(50);
            assertThat(ctx.beforePoll().timeoutMs()).isZero();
            round(ctx, pfds);
            assertThat(fired).containsExactly("fd:" + Posix.POLLIN, "t50@50");
            assertThat(ctx.beforePoll().timeoutMs()).isEqualTo(50);

            clock.advanceMillis(49);
            round(ctx, pfds);
            assertThat(fired).as("a timer never fires before its deadline").hasSize(2);
            clock.advanceMillis(1);
            round(ctx, pfds);
            assertThat(fired).containsExactly("fd:" + Posix.POLLIN, "t50@50", "t100@100");
            assertThat(ctx.beforePoll().timeoutMs()).isEqualTo(-1);
            LibxlStats s = ctx.stats();
            assertThat(s.timeoutsFired()).isEqualTo(2);
            assertThat(s.fdEventsDelivered()).isEqualTo(1);
            assertThat(s.busyNexi()).as("no hooks, no nexi").isZero();
        }
    }

    @Test
    void theTimeoutIsRoundedUpToWholeMilliseconds() {
        try (LibxlContext ctx = pollOnlyCtx()) {
            ctx.newTimeEvent().registerAbs(clock.nanoTime() + 10_000_001L, (ev, d, rc) -> { });
            assertThat(ctx.beforePoll().timeoutMs()).isEqualTo(11);
            ctx.newTimeEvent().registerAbs(clock.nanoTime() - 5, (ev, d, rc) -> { });
            assertThat(ctx.beforePoll().timeoutMs()).as("already past").isZero();
        }
    }

    @Test
    void withHooksAnExpiredTimeoutIsDeregisteredByAsapAndTheApplicationsOccurredIsDiscarded() {
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
        try (LibxlContext ctx = hooks.newContext(); PollFds pfds = new PollFds(2)) {
            ctx.newTimeEvent().registerRel(20, (ev, d, rc) -> fired.add("t"));
            AppTimeout reg = hooks.lastTimeout();
            clock.advanceMillis(20);

            round(ctx, pfds); // the poll side gets there first
            assertThat(fired).containsExactly("t");
            assertThat(reg.asapRequests()).isEqualTo(1);
            assertThat(ctx.stats().timeoutNexiInUse()).as("still owed by the hook side").isEqualTo(1);

            hooks.deliverDueTimeouts(ctx);
            assertThat(fired).as("fired once only").containsExactly("t");
            LibxlStats s = ctx.stats();
            assertThat(s.staleTimeoutsDiscarded()).isEqualTo(1);
            assertThat(s.timeoutNexiInUse()).isZero();
            hooks.assertNoViolations();
        }
    }

    @Test
    void withLegacyHooksAnExpiredTimeoutIsDeregisteredAtOnce() {
        RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.LEGACY_DEREGISTER);
        try (LibxlContext ctx = hooks.newContext(); PollFds pfds = new PollFds(2)) {
            ctx.newTimeEvent().registerRel(20, (ev, d, rc) -> fired.add("t"));
            AppTimeout reg = hooks.lastTimeout();
            clock.advanceMillis(20);
            round(ctx, pfds);
            assertThat(fired).containsExactly("t");
            assertThat(hooks.count(Kind.TIMEOUT_DEREGISTER)).isEqualTo(1);
            assertThat(reg.state()).isEqualTo(TimeoutState.DEREGISTERED);
            assertThat(ctx.stats().timeoutNexiInUse()).isZero();
            hooks.assertNoViolations();
        }
    }

    @Test
    void entriesForEventsChangedSinceBeforePollAreSkipped() {
        try (LibxlContext ctx = pollOnlyCtx(); TestPipe a = TestPipe.open(); TestPipe b = TestPipe.open();
             PollFds pfds = new PollFds(4)) {
            FdEvent gone = ctx.newFdEvent();
            gone.register(a.readFd(), Posix.POLLIN, (ev, fd, e, r) -> fired.add("gone"));
            FdEvent again = ctx.newFdEvent();
            again.register(b.readFd(), Posix.POLLIN, (ev, fd, e, r) -> fired.add("again-old"));
            a.write(1);
            b.write(1);

            PollRequest req = ctx.beforePoll();
            req.fill(pfds, 0);
            pfds.poll(req.size(), 0);
            gone.deregister();
            again.deregister();
            again.register(b.readFd(), Posix.POLLIN, (ev, fd, e, r) -> fired.add("again-new"));
            FdEvent late = ctx.newFdEvent();
            late.register(a.readFd(), Posix.POLLIN, (ev, fd, e, r) -> fired.add("late"));
            ctx.afterPoll(req, pfds, 0);

            assertThat(fired).as("deregistered, re-registered and newly registered events wait for a new round")
                    .isEmpty();
            round(ctx, pfds);
            assertThat(fired).containsExactlyInAnyOrder("again-new", "late");
        }
    }

    @Test
    void aTimeoutReArmedForNowByItsCallbackWaitsForTheNextRound() {
        try (LibxlContext ctx = pollOnlyCtx(); PollFds pfds = new PollFds(2)) {
            TimeEvent t = ctx.newTimeEvent();
            int[] count = {0};
            TimeEventCallback[] cb = new TimeEventCallback[1];
            cb[0] = (ev, d, rc) -> {
                count[0]++;
                ev.registerRel(0, cb[0]);
            };
            t.registerRel(0, cb[0]);
            round(ctx, pfds);
            assertThat(count[0]).isEqualTo(1);
            assertThat(t.isRegistered()).isTrue();
            round(ctx, pfds);
            assertThat(count[0]).isEqualTo(2);
            t.deregister();
        }
    }

    @Test
    void anEventAddedWhileTheApplicationPollsWakesItUp() throws Exception {
        try (LibxlContext ctx = pollOnlyCtx(); TestPipe escape = TestPipe.open(); PollFds pfds = new PollFds(4)) {
            PollRequest req = ctx.beforePoll();
            assertThat(req.timeoutMs()).isEqualTo(-1);
            req.fill(pfds, 0);
            // The application's own fd next to libxl's: here, a way to end the poll if the wakeup never comes,
            // so that pfds is never freed under a poll(2) still running.
            pfds.set(req.size(), escape.readFd(), Posix.POLLIN);
            CompletableFuture<Integer> poller = CompletableFuture.supplyAsync(
                    () -> pfds.poll(req.size() + 1, 10_000)); // would sleep 10 s on the stale set
            int woken;
            try {
                ctx.newTimeEvent().registerRel(5, (ev, d, rc) -> { });
                woken = poller.get(5, TimeUnit.SECONDS);
            } finally {
                escape.write(1);
                poller.handle((n, e) -> n).get(15, TimeUnit.SECONDS);
            }

            assertThat(woken).as("woken by the wakeup pipe alone").isEqualTo(1);
            int wake = req.size() - 1;
            assertThat(req.isWakeup(wake)).isTrue();
            assertThat(pfds.revents(wake) & Posix.POLLIN).isNotZero();
            ctx.afterPoll(req, pfds, 0);
            assertThat(Posix.pollNow(req.fd(wake), Posix.POLLIN)).as("afterPoll drained the pipe").isZero();

            PollRequest next = ctx.beforePoll();
            assertThat(next.timeoutMs()).isEqualTo(5);
            // A second addition in the same round writes once more (nothing pending after the drain) ...
            ctx.newTimeEvent().registerRel(7, (ev, d, rc) -> { });
            assertThat(Posix.pollNow(next.fd(wake), Posix.POLLIN) & Posix.POLLIN).isNotZero();
            // ... and a third does not write again while the first byte is unread.
            ctx.newTimeEvent().registerRel(9, (ev, d, rc) -> { });
            byte[] buf = new byte[8];
            assertThat(Posix.read(next.fd(wake), buf, buf.length)).isEqualTo(1);
        }
    }

    @Test
    void afterPollRejectsAnArrayThatDoesNotHoldTheRequest() {
        try (LibxlContext ctx = pollOnlyCtx(); TestPipe p = TestPipe.open(); PollFds pfds = new PollFds(4)) {
            ctx.newFdEvent().register(p.readFd(), Posix.POLLIN, (ev, fd, e, r) -> { });
            PollRequest req = ctx.beforePoll();
            req.fill(pfds, 1);
            assertThatThrownBy(() -> ctx.afterPoll(req, pfds, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ctx.afterPoll(req, new int[1])).isInstanceOf(IllegalArgumentException.class);
            try (LibxlContext other = pollOnlyCtx()) {
                assertThatThrownBy(() -> other.afterPoll(req, new int[req.size()]))
                        .isInstanceOf(IllegalArgumentException.class);
            }
            ctx.afterPoll(req, pfds, 1);
        }
    }
}
