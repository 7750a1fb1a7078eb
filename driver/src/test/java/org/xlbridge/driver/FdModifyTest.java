package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.FdEvent;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.posix.Posix;

/**
 * {@link FdEvent#modify} reaches the loop. Real libxl switches an fd between POLLIN and POLLOUT (its data
 * copier and QMP client: POLLOUT while there is something to write); a bridge whose {@code fdModify} did
 * not update the loop's handle would leave the loop watching READABLE after libxl asked for POLLOUT, and
 * the write would wait for ever. The fd here is a pipe's write end: the pipe is empty, so it is always
 * writable and never readable, and only what the loop watches decides whether libxl hears of it.
 */
class FdModifyTest {
    private static final int READ_WATCH = HandleEvents.READABLE | HandleEvents.ERROR;
    private static final int WRITE_WATCH = HandleEvents.WRITABLE | HandleEvents.ERROR;

    private final List<int[]> pipes = new ArrayList<>();

    @AfterEach
    void closePipes() {
        for (int[] p : pipes) {
            Posix.closeQuietly(p[0]);
            Posix.closeQuietly(p[1]);
        }
    }

    /** The write end of a fresh empty non-blocking pipe: writable, never readable. */
    private int writeEnd() {
        int[] p = new int[2];
        Posix.pipe2(p, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        pipes.add(p);
        return p[1];
    }

    @Test
    void modifyToPolloutAndBackChangesWhatTheLoopWatchesAndAWritableReportReachesLibxlAsPollout() {
        ManualEventLoop manual = new ManualEventLoop();
        ManualDriver d = new ManualDriver(manual, BridgeListener.NONE);
        int fd = writeEnd();
        List<Integer> revents = new CopyOnWriteArrayList<>();
        FdEvent fe = d.ctx.newFdEvent();
        fe.register(fd, Posix.POLLIN, (ev, f, events, re) -> revents.add(re));
        int watch = manual.liveHandles().get(0);
        assertThat(manual.handleEvents(watch)).as("registered for POLLIN").hasValue(READ_WATCH);
        assertThat(manual.fireHandle(watch, HandleEvents.WRITABLE)).as("WRITABLE is not watched yet").isFalse();

        fe.modify(Posix.POLLOUT);
        assertThat(manual.handleEvents(watch)).as("the loop watches what libxl asked for after modify(POLLOUT)")
                .hasValue(WRITE_WATCH);
        assertThat(manual.fireHandle(watch, HandleEvents.WRITABLE)).as("a WRITABLE report is dispatched").isTrue();
        assertThat(revents).as("libxl's callback heard POLLOUT").containsExactly(Posix.POLLOUT);

        fe.modify(Posix.POLLIN);
        assertThat(manual.handleEvents(watch)).as("and back after modify(POLLIN)").hasValue(READ_WATCH);
        assertThat(manual.fireHandle(watch, HandleEvents.WRITABLE)).as("WRITABLE no longer watched").isFalse();
        assertThat(revents).hasSize(1);

        BridgeStats b = d.bridge.stats();
        assertThat(b.fdEventsDelivered()).isEqualTo(1);
        assertThat(b.violations()).isZero();
        fe.deregister();
        manual.runDue();
        BridgeRaceDeterministicTest.assertQuiescent(d);
    }

    /**
     * The same on the embedded loop, whose ppoll(2) decides: the write end is reported to libxl only after
     * modify(POLLOUT) from another thread, and no more once the callback modified it back to POLLIN (as
     * libxl's data copier does when its buffer is empty).
     */
    @Test
    void onTheEmbeddedLoopAWritableFdReachesLibxlOnlyWhileItWatchesPollout() throws Exception {
        try (PollEventLoop loop = new PollEventLoop()) {
            OsEventBridge bridge = new OsEventBridge(loop);
            LibxlContext ctx = LibxlContext.builder().hooks(bridge).build();
            bridge.attach(ctx);
            Thread runner = new Thread(loop::run, "fd-modify-loop");
            runner.setDaemon(true);
            runner.start();
            try {
                int fd = writeEnd();
                List<Integer> revents = new CopyOnWriteArrayList<>();
                CountDownLatch heard = new CountDownLatch(1);
                FdEvent fe = ctx.newFdEvent();
                fe.register(fd, Posix.POLLIN, (ev, f, events, re) -> {
                    revents.add(re);
                    ev.modify(Posix.POLLIN); // nothing more to write: stop watching POLLOUT
                    heard.countDown();
                });
                int watch = loop.liveHandles().get(0);
                awaitIterations(loop, 3);
                assertThat(revents).as("a write end is never readable").isEmpty();

                fe.modify(Posix.POLLOUT); // from this thread, while the loop blocks in ppoll
                Await.await(heard, "libxl's callback for the writable fd after modify(POLLOUT)");
                assertThat(revents.get(0) & Posix.POLLOUT).as("revents %s", revents).isNotZero();

                awaitIterations(loop, 5);
                assertThat(loop.handleEvents(watch)).as("modified back from the callback").hasValue(READ_WATCH);
                assertThat(bridge.stats().fdEventsDelivered())
                        .as("the always-writable fd is no longer reported once back on POLLIN").isEqualTo(1);
                assertThat(ctx.stats().fdReportsNotReady()).isZero();
                assertThat(revents).hasSize(1);

                fe.deregister();
                assertThat(bridge.awaitDrained(Await.BOUND)).isTrue();
                assertThat(bridge.stats().violations()).isZero();
            } finally {
                ctx.close();
                loop.stop();
                Await.join(runner);
            }
        }
    }

    /** Waits until the loop has run {@code n} more iterations, proven by a 1 ms timer firing. */
    private static void awaitIterations(EventLoop loop, int n) {
        CountDownLatch ticks = new CountDownLatch(n);
        int marker = loop.addTimeout(1, t -> ticks.countDown(), null);
        Await.await(ticks, n + " loop iterations");
        loop.removeTimeout(marker);
    }
}
