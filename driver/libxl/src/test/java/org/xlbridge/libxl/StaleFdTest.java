package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.RecordingHooks.AppFd;
import org.xlbridge.libxl.RecordingHooks.Kind;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.TestPipe;

/**
 * Late and stale fd reports, on real pipes. An fd nexus goes back to its pool as soon as its event is
 * deregistered, so a late occurredFd may find it empty or serving another fd; and a report for the right fd may be
 * out of date. libxl ignores the first two and re-checks the fd with poll(2) for the third.
 */
class StaleFdTest {
    private final VirtualClock clock = new VirtualClock();
    private final RecordingHooks hooks = new RecordingHooks(clock, DeregistrationProtocol.ASAP_MODIFY);
    private final LibxlContext ctx = hooks.newContext();
    private final List<String> fired = new ArrayList<>();

    @AfterEach
    void closeCtx() {
        ctx.close();
    }

    private FdEventCallback recorder(String name) {
        return (ev, fd, events, revents) -> fired.add(name + ":" + revents);
    }

    @Test
    void aLiveReportIsDeliveredWithCurrentReadiness() {
        try (TestPipe a = TestPipe.open()) {
            FdEvent e = ctx.newFdEvent();
            e.register(a.readFd(), Posix.POLLIN, recorder("E"));
            AppFd reg = hooks.lastFd();
            a.write(1);
            hooks.deliverFd(ctx, reg, Posix.POLLIN | Posix.POLLOUT); // the application's revents are not trusted
            assertThat(fired).containsExactly("E:" + Posix.POLLIN);
            assertThat(ctx.stats().fdEventsDelivered()).isEqualTo(1);
            assertThat(e.isRegistered()).as("fd events stay registered after a callback").isTrue();
        }
    }

    @Test
    void aReportThatIsNoLongerTrueIsDroppedByThePollRecheck() {
        try (TestPipe a = TestPipe.open()) {
            FdEvent e = ctx.newFdEvent();
            e.register(a.readFd(), Posix.POLLIN, recorder("E"));
            AppFd reg = hooks.lastFd();
            a.write(1);
            a.drain(); // someone read it between the application's poll and its report
            hooks.deliverFd(ctx, reg, Posix.POLLIN);
            assertThat(fired).isEmpty();
            assertThat(ctx.stats().fdReportsNotReady()).isEqualTo(1);
            assertThat(ctx.stats().staleFdsDiscarded()).isZero();
        }
    }

    @Test
    void aLateReportForADeregisteredEventIsIgnoredEvenWhenItsFdIsReusedByANewEvent() {
        try (TestPipe a = TestPipe.open(); TestPipe b = TestPipe.open()) {
            FdEvent e = ctx.newFdEvent();
            e.register(a.readFd(), Posix.POLLIN, recorder("E"));
            AppFd eReg = hooks.lastFd();
            FdToken oldToken = eReg.token();
            a.write(1); // a's fd really is readable throughout

            e.deregister();
            assertThat(hooks.count(Kind.FD_DEREGISTER)).as("fds are still deregistered by the hook").isEqualTo(1);
            assertThat(ctx.stats().fdNexiInUse()).as("the fd nexus is recycled at once").isZero();

            // 1. The nexus is idle: the late report is ignored.
            hooks.deliverFd(ctx, eReg, Posix.POLLIN);
            assertThat(fired).isEmpty();
            assertThat(ctx.stats().staleFdsDiscarded()).isEqualTo(1);

            // 2. The nexus now serves F on another fd, and a new event G watches E's old fd.
            FdEvent f = ctx.newFdEvent();
            f.register(b.readFd(), Posix.POLLIN, recorder("F"));
            assertThat(hooks.lastFd().token()).as("LIFO pool: F reuses E's nexus").isSameAs(oldToken);
            FdEvent g = ctx.newFdEvent();
            g.register(a.readFd(), Posix.POLLIN, recorder("G"));
            AppFd gReg = hooks.lastFd();
            assertThat(gReg.token()).isNotSameAs(oldToken);
            b.write(1);

            ctx.occurredFd(oldToken, a.readFd(), Posix.POLLIN, Posix.POLLIN);
            assertThat(fired).as("old token with the old fd: neither F (other fd) nor G (other nexus)").isEmpty();
            assertThat(ctx.stats().staleFdsDiscarded()).isEqualTo(2);

            // G's own report still works.
            hooks.deliverFd(ctx, gReg, Posix.POLLIN);
            assertThat(fired).containsExactly("G:" + Posix.POLLIN);
            hooks.assertNoViolations();
        }
    }

    @Test
    void modifyChangesWhatTheRecheckLooksFor() {
        try (TestPipe a = TestPipe.open()) {
            FdEvent e = ctx.newFdEvent();
            e.register(a.writeFd(), 0, recorder("E")); // events 0: registered but wants nothing
            AppFd reg = hooks.lastFd();
            hooks.deliverFd(ctx, reg, Posix.POLLOUT);
            assertThat(fired).isEmpty();
            assertThat(ctx.stats().fdReportsNotReady()).isEqualTo(1);

            e.modify(Posix.POLLOUT);
            assertThat(hooks.lastFd().events()).isEqualTo(Posix.POLLOUT);
            hooks.deliverFd(ctx, reg, Posix.POLLOUT);
            assertThat(fired).containsExactly("E:" + Posix.POLLOUT);
        }
    }
}
