package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.libvirt.Connect;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.IdWraps;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.eventloop.conformance.IdLedger;
import org.xlbridge.eventloop.conformance.IdWrapSuite;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.ids.IdAllocator;
import org.xlbridge.posix.TestPipe;

/**
 * libvirt's registered loop ({@link LibvirtEventImpl#register}) across id wraps: the embedded loop with
 * ids 1..{@value #LAST_ID} is libvirt's event implementation; a libvirt-java client on
 * {@code test:///default} churns domains while the loop's timer and watch ids wrap at least twice under
 * other registrations' churn and connections opened and closed. The client's event timer, added when
 * its connection opened, stays live across the wraps; every lifecycle event still arrives exactly once,
 * in order, on the loop thread (I9), and every id libvirt or anyone else was handed is judged by
 * {@link IdLedger} (I8: never reused while live or recently freed).
 */
@Tag(OwnProcess.TAG)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LibvirtRegisteredLoopIdWrapTest {
    private static final String URI = "test:///default";
    private static final int LAST_ID = 200;

    private PollEventLoop base;
    private LedgerLoop loop;
    private LibvirtEventImpl impl;
    private LoopThread runner;

    /** Records every add and every free into two ledgers (timers, watches). */
    static final class LedgerLoop extends ForwardingEventLoop {
        final IdLedger timers = new IdLedger(IdAllocator.quarantineFor(LAST_ID));
        final IdLedger watches = new IdLedger(IdAllocator.quarantineFor(LAST_ID));

        LedgerLoop(EventLoop inner) {
            super(inner);
        }

        @Override
        public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
            int[] box = new int[1];
            synchronized (timers) {
                box[0] = super.addTimeout(frequencyMs, cb, timers.freeing(box, ff));
                timers.added(box[0]);
            }
            return box[0];
        }

        @Override
        public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
            int[] box = new int[1];
            synchronized (watches) {
                box[0] = super.addHandle(fd, events, cb, watches.freeing(box, ff));
                watches.added(box[0]);
            }
            return box[0];
        }
    }

    @BeforeAll
    void start() {
        LibvirtAssumptions.assumeLibvirt();
        base = IdWrapSuite.withIdSpace(LAST_ID, PollEventLoop::new);
        loop = new LedgerLoop(base);
        impl = LibvirtEventImpl.register(loop);
        runner = LoopThread.start(loop, "registered-wrap-loop");
    }

    @AfterAll
    void stop() {
        if (runner != null) {
            DomainChurn.until(() -> impl.liveRegistrations() == 0, "libvirt's registrations to be freed");
            loop.stop();
            runner.join();
            loop.close();
        }
    }

    @Test
    void aClientKeepsItsEventsWhileTheLoopIdsWrapTwice() throws Exception {
        Connect conn = new Connect(URI);
        DomainChurn.Recorder recorder = new DomainChurn.Recorder("wrap-");
        conn.addLifecycleListener(recorder);
        TestPipe pipe = TestPipe.open();
        try {
            CompletableFuture<List<String>> churn = CompletableFuture.supplyAsync(() -> {
                try {
                    return DomainChurn.run(conn, "wrap-", 2, 12, false);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            AtomicInteger frees = new AtomicInteger();
            int removed = 0;
            int round = 0;
            while (!churn.isDone() || IdWraps.of(base)[0] < 2 || IdWraps.of(base)[1] < 2) {
                int t = loop.addTimeout(-1, x -> { }, frees::incrementAndGet);
                int w = loop.addHandle(pipe.readFd(), HandleEvents.READABLE, (x, fd, ev) -> { }, frees::incrementAndGet);
                loop.removeTimeout(t);
                loop.removeHandle(w);
                removed += 2;
                if (++round % 20 == 0) {
                    Connect other = new Connect(URI); // libvirt adds and later removes its own timer
                    other.close();
                    int expected = removed;
                    DomainChurn.until(() -> frees.get() >= expected, expected + " frees");
                }
            }
            List<String> domains = churn.get(60, TimeUnit.SECONDS);
            assertThat(IdWraps.of(base)[0]).as("timer id wraps").isGreaterThanOrEqualTo(2);
            assertThat(IdWraps.of(base)[1]).as("watch id wraps").isGreaterThanOrEqualTo(2);
            DomainChurn.assertExactlyOnceInOrderOnThread(conn, recorder, domains, "wrap-sentinel", runner.thread());
            assertThat(recorder.failures).isEmpty();
        } finally {
            conn.removeLifecycleListener(recorder);
            conn.close();
        }
        DomainChurn.until(() -> impl.liveRegistrations() == 0, "libvirt's registrations to be freed");
        pipe.close();
        assertThat(loop.timers.violations()).as("timer ids (I8)").isEmpty();
        assertThat(loop.watches.violations()).as("watch ids (I8)").isEmpty();
        assertThat(loop.timers.adds()).isGreaterThan(2L * LAST_ID);
    }
}
