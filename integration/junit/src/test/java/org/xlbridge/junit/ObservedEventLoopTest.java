package org.xlbridge.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;

/** The observing layer reports a faulty loop: reused ids (I8), double frees and callbacks after free (I3). */
class ObservedEventLoopTest {

    /** A broken loop: hands out id 7 every time, frees twice on remove, and can dispatch after the free. */
    private static final class FaultyLoop implements EventLoop {
        final List<TimeoutCallback> callbacks = new ArrayList<>();
        final List<FreeCallback> frees = new ArrayList<>();

        @Override
        public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
            callbacks.add(cb);
            frees.add(ff);
            return 7;
        }

        @Override
        public boolean removeTimeout(int timer) {
            FreeCallback ff = frees.get(frees.size() - 1);
            ff.free();
            ff.free();
            return true;
        }

        @Override
        public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
            return -1;
        }

        @Override
        public void updateHandle(int watch, int events) {
        }

        @Override
        public boolean removeHandle(int watch) {
            return false;
        }

        @Override
        public void updateTimeout(int timer, int frequencyMs) {
        }

        @Override
        public void runOnce() {
        }

        @Override
        public void run() {
        }

        @Override
        public void stop() {
        }

        @Override
        public EventLoopStats stats() {
            return new EventLoopStats(0, 0, 0, 0, 0, 0, 0);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void reusedIdsDoubleFreesAndCallbacksAfterFreeAreReported() {
        DriverInvariantChecker checker = new DriverInvariantChecker(DeregistrationProtocol.ASAP_MODIFY, 1000, 0);
        FaultyLoop faulty = new FaultyLoop();
        ObservedEventLoop loop = new ObservedEventLoop(faulty, checker, false);

        loop.addTimeout(10, t -> { }, null);
        loop.addTimeout(10, t -> { }, null);
        loop.addHandle(3, 1, (w, fd, ev) -> { }, null);
        loop.removeTimeout(7);
        faulty.callbacks.get(1).onTimeout(7);

        assertThat(checker.counts().get(Invariant.I8)).isEqualTo(2);
        assertThat(checker.counts().get(Invariant.I3)).isEqualTo(2);
        assertThat(checker.violations()).extracting(Violation::message).anySatisfy(m ->
                assertThat(m).contains("timer id 7 again while live")).anySatisfy(m ->
                assertThat(m).contains("handle id that is not positive: -1")).anySatisfy(m ->
                assertThat(m).contains("ran 2 times")).anySatisfy(m ->
                assertThat(m).contains("dispatched after its free"));
    }

    @Test
    void aCorrectLoopIsReportedQuietAndLeaksAreNamed() {
        DriverInvariantChecker checker = new DriverInvariantChecker(DeregistrationProtocol.ASAP_MODIFY, 1000, 0);
        ManualEventLoop manual = new ManualEventLoop();
        ObservedEventLoop loop = new ObservedEventLoop(manual, checker, true);
        int a = loop.addTimeout(5, t -> { }, () -> { });
        int b = loop.addTimeout(0, loop::removeTimeout, () -> { });
        manual.runDue();
        assertThat(loop.liveRegistrations()).singleElement().asString().startsWith("timer " + a + " (added with frequency 5 ms");
        assertThat(loop.isQuiet()).isFalse();
        loop.removeTimeout(a);
        manual.runDue();
        assertThat(loop.isQuiet()).isTrue();
        assertThat(b).isNotEqualTo(a);
        assertThat(checker.violationCount()).isZero();
        loop.close();
    }
}
