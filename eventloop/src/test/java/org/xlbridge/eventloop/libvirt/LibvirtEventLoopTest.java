package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.posix.Posix;

/** What the libvirt loop adds to libvirt's own: early fires held back, frees not starved, closed fds, wakeups. */
class LibvirtEventLoopTest {
    private static final long MS = 1_000_000L;
    private static final int ONE_HOUR_MS = 3_600_000;

    @BeforeAll
    static void requireLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void isAvailableWhereLibvirtIsInstalled() {
        assertThat(LibvirtEventLoop.isAvailable()).isTrue();
    }

    @Test
    void aFireBeforeTheRecordedExpiryIsHeldBackUntilTheExpiry() {
        // The loop's clock reads 40 ms ahead while the timer is added, so it records an expiry 40 ms
        // later than the one libvirt arms: libvirt fires "early" by the loop's clock, and the loop must
        // re-arm for the remainder instead of calling back.
        AtomicLong offset = new AtomicLong(40 * MS);
        LibvirtEventLoop loop = new LibvirtEventLoop(() -> System.nanoTime() + offset.get());
        try {
            AtomicLong fireTime = new AtomicLong();
            AtomicInteger fires = new AtomicInteger();
            long t0 = System.nanoTime();
            loop.addTimeout(10, t -> {
                fireTime.set(System.nanoTime());
                fires.incrementAndGet();
                loop.removeTimeout(t);
            }, null);
            offset.set(0);
            long deadline = System.nanoTime() + LoopThread.BOUND.toNanos();
            while (fires.get() == 0 && System.nanoTime() - deadline < 0) {
                loop.runOnce();
            }
            assertThat(fires).hasValue(1);
            assertThat(loop.earlyDispatches()).as("libvirt's early fire was seen and held back").isPositive();
            assertThat(fireTime.get() - t0).as("fired at the loop's expiry, not libvirt's")
                    .isGreaterThanOrEqualTo(50 * MS);
        } finally {
            loop.close();
        }
    }

    @Test
    void freesRunWhileAZeroMsTimerKeepsTheLoopBusy() {
        // libvirt runs its free callbacks from GLib idle sources, which GLib never dispatches while a
        // 0 ms timer is ready: the loop must run the caller's frees itself.
        LibvirtEventLoop loop = new LibvirtEventLoop();
        LoopThread runner = LoopThread.start(loop, "libvirt-busy-loop");
        try {
            AtomicInteger spins = new AtomicInteger();
            loop.addTimeout(0, t -> spins.incrementAndGet(), null);
            LoopThread.until(() -> spins.get() > 10, "the 0 ms timer to spin");
            int count = 100;
            CountDownLatch freed = new CountDownLatch(count);
            for (int i = 0; i < count; i++) {
                int id = loop.addTimeout(ONE_HOUR_MS, t -> { }, freed::countDown);
                assertThat(loop.removeTimeout(id)).isTrue();
            }
            LoopThread.await(freed, count + " frees while a 0 ms timer is enabled");
            // A free counts as pending until it has returned, just after the latch.
            LoopThread.until(() -> loop.stats().pendingFrees() == 0, "no pending frees");
        } finally {
            loop.close();
            runner.join();
        }
    }

    @Test
    void aClosedFdIsReportedAsError() {
        // libvirt 9's GLib watch never reports POLLNVAL; the loop detects the closed fd itself.
        LibvirtEventLoop loop = new LibvirtEventLoop();
        int[] pipe = new int[2];
        Posix.pipe2(pipe, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        int fd = Posix.dup(pipe[0]);
        LoopThread runner = LoopThread.start(loop, "libvirt-closed-fd");
        try {
            AtomicInteger seen = new AtomicInteger();
            AtomicInteger calls = new AtomicInteger();
            CountDownLatch error = new CountDownLatch(1);
            loop.addHandle(fd, HandleEvents.READABLE, (w, f, ev) -> {
                calls.incrementAndGet();
                seen.set(ev);
                loop.removeHandle(w);
                error.countDown();
            }, null);
            long checksBefore = ProcessLoop.get().closedFdReports();
            Posix.close(fd);
            // poll(2) does not return when another thread closes a polled fd: keep the loop turning.
            loop.addTimeout(1, t -> { }, null);
            LoopThread.await(error, "ERROR for a closed fd");
            assertThat(seen.get()).isEqualTo(HandleEvents.ERROR);
            assertThat(calls).hasValue(1);
            assertThat(ProcessLoop.get().closedFdReports()).isGreaterThan(checksBefore);
        } finally {
            loop.close();
            runner.join();
            Posix.closeQuietly(pipe[0]);
            Posix.closeQuietly(pipe[1]);
        }
    }

    @Test
    void stopWakesABlockedRunWhichDoesNotSpinWhileIdle() {
        LibvirtEventLoop loop = new LibvirtEventLoop();
        LoopThread runner = LoopThread.start(loop, "libvirt-idle");
        try {
            LoopThread.sleep(100); // nothing registered: run() blocks in virEventRunDefaultImpl
            long before = loop.stats().iterations();
            LoopThread.sleep(300);
            long idleIterations = loop.stats().iterations() - before;
            assertThat(idleIterations).as("iterations while idle for 300 ms").isLessThanOrEqualTo(10);
            assertThat(runner.thread().isAlive()).isTrue();
            loop.stop();
            runner.join();
        } finally {
            loop.close();
        }
    }

    @Test
    void aStopBeforeRunMakesRunReturnAtOnceAndIsConsumed() {
        LibvirtEventLoop loop = new LibvirtEventLoop();
        try {
            loop.stop();
            loop.run(); // returns at once: the request was pending
            AtomicInteger fires = new AtomicInteger();
            loop.addTimeout(0, t -> {
                if (fires.incrementAndGet() == 3) {
                    loop.stop();
                }
            }, null);
            loop.run(); // consumed above: this one runs until the callback stops it
            assertThat(fires).hasValue(3);
        } finally {
            loop.close();
        }
    }

    @Test
    void runningFromACallbackIsRefused() {
        LibvirtEventLoop loop = new LibvirtEventLoop();
        LibvirtEventLoop other = new LibvirtEventLoop();
        try {
            AtomicReference<Throwable> own = new AtomicReference<>();
            AtomicReference<Throwable> others = new AtomicReference<>();
            AtomicInteger fires = new AtomicInteger();
            loop.addTimeout(0, t -> {
                fires.incrementAndGet();
                loop.removeTimeout(t);
                try {
                    loop.runOnce();
                } catch (Throwable e) {
                    own.set(e);
                }
                try {
                    other.run();
                } catch (Throwable e) {
                    others.set(e);
                }
            }, null);
            while (fires.get() == 0) {
                loop.runOnce();
            }
            assertThat(own.get()).isInstanceOf(IllegalStateException.class);
            assertThat(others.get()).as("libvirt's loop does not nest, whichever instance")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not nest");
        } finally {
            loop.close();
            other.close();
        }
    }

    @Test
    void closeFromAnotherThreadWaitsForTheRunningCallbackThenRunsItsFreeAfterIt() throws Exception {
        LibvirtEventLoop loop = new LibvirtEventLoop();
        LoopThread runner = LoopThread.start(loop, "libvirt-close-wait");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean callbackReturned = new AtomicBoolean();
        AtomicBoolean freeSawReturn = new AtomicBoolean();
        AtomicInteger frees = new AtomicInteger();
        AtomicReference<Thread> freeThread = new AtomicReference<>();
        loop.addTimeout(1, t -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            callbackReturned.set(true);
        }, () -> {
            freeSawReturn.set(callbackReturned.get());
            freeThread.set(Thread.currentThread());
            frees.incrementAndGet();
        });
        LoopThread.await(inside, "the blocking callback");
        Thread closer = new Thread(loop::close, "closer");
        closer.start();
        LoopThread.sleep(100);
        assertThat(closer.isAlive()).as("close() waits for the running callback").isTrue();
        assertThat(frees).as("no free while its callback runs").hasValue(0);
        release.countDown();
        closer.join(LoopThread.BOUND.toMillis());
        assertThat(closer.isAlive()).isFalse();
        runner.join();
        assertThat(frees).hasValue(1);
        assertThat(freeSawReturn).isTrue();
        assertThat(freeThread.get()).as("run by the loop thread once the callback returned").isSameAs(runner.thread());
        assertThat(loop.stats().pendingFrees()).isZero();
    }

    @Test
    void closeFromItsOwnCallbackRunsEveryFreeOnceAndStopsTheRunner() {
        LibvirtEventLoop loop = new LibvirtEventLoop();
        LoopThread runner = LoopThread.start(loop, "libvirt-self-close");
        AtomicBoolean callbackReturned = new AtomicBoolean();
        AtomicBoolean ownFreeSawReturn = new AtomicBoolean();
        AtomicInteger ownFrees = new AtomicInteger();
        AtomicInteger otherFrees = new AtomicInteger();
        loop.addTimeout(ONE_HOUR_MS, t -> { }, otherFrees::incrementAndGet);
        loop.addTimeout(1, t -> {
            loop.close();
            callbackReturned.set(true);
        }, () -> {
            ownFreeSawReturn.set(callbackReturned.get());
            ownFrees.incrementAndGet();
        });
        runner.join();
        assertThat(otherFrees).hasValue(1);
        assertThat(ownFrees).hasValue(1);
        assertThat(ownFreeSawReturn).as("the closing callback's own free waited for it").isTrue();
        assertThat(loop.stats().pendingFrees()).isZero();
        assertThatThrownBy(() -> loop.addTimeout(1, t -> { }, null)).isInstanceOf(IllegalStateException.class);
    }
}
