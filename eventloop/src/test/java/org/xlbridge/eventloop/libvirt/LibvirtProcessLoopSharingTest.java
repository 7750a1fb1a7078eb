package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.posix.Posix;

/** Several instances on libvirt's one process-wide loop. */
class LibvirtProcessLoopSharingTest {
    private static final int ONE_HOUR_MS = 3_600_000;

    @BeforeAll
    static void requireLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void closeRemovesOnlyThisInstancesRegistrationsAndALaterInstanceWorks() {
        int[] pipe = new int[2];
        Posix.pipe2(pipe, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        LibvirtEventLoop a = new LibvirtEventLoop();
        LibvirtEventLoop b = new LibvirtEventLoop();
        LoopThread runner = LoopThread.start(b, "libvirt-b");
        try {
            AtomicInteger aFires = new AtomicInteger();
            AtomicInteger aFrees = new AtomicInteger();
            int aTimer = a.addTimeout(2, t -> aFires.incrementAndGet(), aFrees::incrementAndGet);
            a.addHandle(pipe[0], HandleEvents.READABLE, (w, fd, ev) -> { }, aFrees::incrementAndGet);
            AtomicInteger bFires = new AtomicInteger();
            AtomicInteger bFrees = new AtomicInteger();
            b.addTimeout(2, t -> bFires.incrementAndGet(), bFrees::incrementAndGet);

            // b's runner dispatches a's callbacks too: it is one loop.
            LoopThread.until(() -> aFires.get() >= 3, "a's timer, dispatched by b's runner");
            // Ids a owns are unknown to b: no-ops that never reach libvirt.
            assertThat(b.removeTimeout(aTimer)).isFalse();
            b.updateTimeout(aTimer, -1);
            int aFiresNow = aFires.get();
            LoopThread.until(() -> aFires.get() >= aFiresNow + 3, "a's timer, untouched by b");

            a.close();
            assertThat(aFrees).as("a's timer and handle freed by a.close()").hasValue(2);
            EventLoopStats aStats = a.stats();
            assertThat(aStats.liveTimeouts()).isZero();
            assertThat(aStats.liveHandles()).isZero();
            assertThat(aStats.pendingFrees()).isZero();
            int aFiresAtClose = aFires.get();

            int bFiresNow = bFires.get();
            LoopThread.until(() -> bFires.get() >= bFiresNow + 5, "b's timer after a closed");
            assertThat(aFires).as("a's timer is gone").hasValue(aFiresAtClose);
            assertThat(b.stats().liveTimeouts()).isEqualTo(1);
            assertThat(bFrees).hasValue(0);
            assertThat(runner.thread().isAlive()).isTrue();
        } finally {
            a.close();
            b.close();
            runner.join();
            Posix.closeQuietly(pipe[0]);
            Posix.closeQuietly(pipe[1]);
        }

        LibvirtEventLoop c = new LibvirtEventLoop();
        try {
            AtomicInteger cFires = new AtomicInteger();
            c.addTimeout(1, t -> {
                cFires.incrementAndGet();
                c.removeTimeout(t);
            }, null);
            long deadline = System.nanoTime() + LoopThread.BOUND.toNanos();
            while (cFires.get() == 0 && System.nanoTime() - deadline < 0) {
                c.runOnce();
            }
            assertThat(cFires).as("a later instance in the same process").hasValue(1);
        } finally {
            c.close();
        }
    }

    @Test
    void runOnceOfOneInstanceDispatchesAnothersCallbacksOnItsThread() {
        LibvirtEventLoop a = new LibvirtEventLoop();
        LibvirtEventLoop b = new LibvirtEventLoop();
        try {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            b.addTimeout(0, t -> {
                ranOn.set(Thread.currentThread());
                b.removeTimeout(t);
            }, null);
            long deadline = System.nanoTime() + LoopThread.BOUND.toNanos();
            while (ranOn.get() == null && System.nanoTime() - deadline < 0) {
                a.runOnce();
            }
            assertThat(ranOn.get()).isSameAs(Thread.currentThread());
            assertThat(b.stats().dispatches()).isEqualTo(1);
            assertThat(a.stats().dispatches()).isZero();
            assertThat(a.stats().iterations()).isPositive();
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void stopReleasesARunnerWaitingForTheTurnWhileAnotherBlocksInLibvirt() {
        LibvirtEventLoop a = new LibvirtEventLoop();
        LibvirtEventLoop b = new LibvirtEventLoop();
        LoopThread runnerA = LoopThread.start(a, "libvirt-a");
        LoopThread runnerB = null;
        try {
            a.addTimeout(ONE_HOUR_MS, t -> { }, null);
            // b's runner: it either waits for the turn or iterates, alternating with a's; its
            // callbacks prove it runs, and stop() must bring it out either way.
            runnerB = LoopThread.start(b, "libvirt-b");
            LoopThread.sleep(100); // both idle: one blocked in libvirt, the other waiting for the turn
            b.stop();
            runnerB.join();
            assertThat(runnerA.thread().isAlive()).as("a's runner is not stopped by b.stop()").isTrue();
            CountDownLatch fired = new CountDownLatch(1);
            a.addTimeout(1, t -> {
                a.removeTimeout(t);
                fired.countDown();
            }, null);
            LoopThread.await(fired, "a still dispatching");
            a.stop();
            runnerA.join();
        } finally {
            a.close();
            b.close();
            runnerA.join();
            if (runnerB != null) {
                runnerB.join();
            }
        }
    }
}
