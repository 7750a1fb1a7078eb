package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Library;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.posix.TestPipe;

/**
 * The six callbacks of {@link LibvirtEventImpl}, driven through libvirt's public event API
 * ({@code virEventAddTimeout} and friends dispatch to the registered implementation), on an embedded
 * loop registered once for this JVM (the class runs in a JVM of its own: see eventloop/pom.xml).
 */
@Tag(OwnProcess.TAG)
class LibvirtEventImplTest {
    /** JNA callbacks handed to libvirt by these tests: strongly reachable until the JVM ends. */
    private static final List<Object> KEEP = new CopyOnWriteArrayList<>();

    private static SwitchableLoop loop;
    private static LibvirtEventImpl impl;
    private static LoopThread runner;

    @BeforeAll
    static void registerAndRun() {
        LibvirtAssumptions.assumeLibvirt();
        loop = new SwitchableLoop(new PollEventLoop());
        impl = LibvirtEventImpl.register(loop);
        runner = LoopThread.start(loop, "registered-loop");
    }

    @AfterAll
    static void stop() {
        if (runner != null) {
            loop.stop();
            runner.join();
        }
    }

    /**
     * libvirt's registrations once no free is pending. Not always 0: libvirt-java's
     * {@code Library.initEventLoop()} (one of the tests) leaves its own disabled timer on our loop.
     */
    private static int quietCount() {
        LoopThread.until(() -> loop.stats().pendingFrees() == 0, "earlier tests' frees");
        return impl.liveRegistrations();
    }

    private static <T> T keep(T callback) {
        KEEP.add(callback);
        return callback;
    }

    @Test
    void theRegisteredLoopIsCurrentAndRegisteringItAgainReturnsTheSameInstance() {
        assertThat(LibvirtEventImpl.current()).containsSame(impl);
        assertThat(impl.loop()).isSameAs(loop);
        assertThat(LibvirtEventImpl.register(loop)).isSameAs(impl);
    }

    @Test
    void registeringAnotherLoopNamesTheFirstAndTouchesNeither() {
        try (PollEventLoop other = new PollEventLoop()) {
            assertThatThrownBy(() -> LibvirtEventImpl.register(other))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already the loop " + loop)
                    .hasMessageContaining("use the registered loop");
            assertThat(other.stats().liveTimeouts()).isZero();
            assertThat(LibvirtEventImpl.current()).containsSame(impl);
        }
        assertThatThrownBy(() -> LibvirtEventImpl.register(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTimeoutAddedThroughLibvirtFiresOnTheLoopThreadAndItsFreeRunsOnceThereAfterRemove() {
        int before = quietCount();
        AtomicInteger fires = new AtomicInteger();
        AtomicReference<Thread> fireThread = new AtomicReference<>();
        AtomicInteger firedId = new AtomicInteger();
        AtomicLong firedOpaque = new AtomicLong();
        CountDownLatch fired = new CountDownLatch(1);
        AtomicInteger frees = new AtomicInteger();
        AtomicReference<Thread> freeThread = new AtomicReference<>();
        AtomicLong freedOpaque = new AtomicLong();
        CountDownLatch freed = new CountDownLatch(1);
        LibvirtNative.TimeoutFunc cb = keep((timer, opaque) -> {
            fireThread.set(Thread.currentThread());
            firedId.set(timer);
            firedOpaque.set(Pointer.nativeValue(opaque));
            fires.incrementAndGet();
            fired.countDown();
        });
        LibvirtNative.FreeFunc ff = keep(opaque -> {
            freeThread.set(Thread.currentThread());
            freedOpaque.set(Pointer.nativeValue(opaque));
            frees.incrementAndGet();
            freed.countDown();
        });

        int id = LibvirtNative.virEventAddTimeout(0, cb, new Pointer(4242), ff);
        assertThat(id).isPositive();
        assertThat(impl.liveRegistrations()).isEqualTo(before + 1);
        LoopThread.await(fired, "libvirt's timeout to fire");
        LibvirtNative.virEventUpdateTimeout(id, -1);
        assertThat(fireThread.get()).isSameAs(runner.thread());
        assertThat(firedId.get()).as("libvirt sees the loop's id").isEqualTo(id);
        assertThat(firedOpaque.get()).isEqualTo(4242);

        assertThat(LibvirtNative.virEventRemoveTimeout(id)).isZero();
        LoopThread.await(freed, "libvirt's free callback");
        LoopThread.until(() -> impl.liveRegistrations() == before, "the registration to be counted as freed");
        assertThat(frees).hasValue(1);
        assertThat(freeThread.get()).isSameAs(runner.thread());
        assertThat(freedOpaque.get()).isEqualTo(4242);
        assertThat(LibvirtNative.virEventRemoveTimeout(id)).as("a second remove: unknown").isEqualTo(-1);
    }

    @Test
    void aTimerRemovedInsideItsOwnCallbackIsFreedAfterTheCallbackReturnedNeverInsideRemove() {
        AtomicBoolean inCallback = new AtomicBoolean();
        AtomicBoolean inRemove = new AtomicBoolean();
        AtomicBoolean freedInsideSomething = new AtomicBoolean();
        AtomicInteger fires = new AtomicInteger();
        CountDownLatch freed = new CountDownLatch(1);
        LibvirtNative.TimeoutFunc cb = keep((timer, opaque) -> {
            inCallback.set(true);
            fires.incrementAndGet();
            inRemove.set(true);
            LibvirtNative.virEventRemoveTimeout(timer); // libvirt's object-event queue does exactly this
            inRemove.set(false);
            inCallback.set(false);
        });
        LibvirtNative.FreeFunc ff = keep(opaque -> {
            freedInsideSomething.set(inCallback.get() || inRemove.get());
            freed.countDown();
        });
        int id = LibvirtNative.virEventAddTimeout(0, cb, null, ff);
        assertThat(id).isPositive();
        LoopThread.await(freed, "the free of a timer removed in its callback");
        assertThat(freedInsideSomething).as("ff ran inside the callback or inside remove").isFalse();
        assertThat(fires).hasValue(1);
    }

    @Test
    void handleEventBitsPassOneToOneInBothDirections() {
        try (TestPipe pipe = TestPipe.open()) {
            List<Integer> readEvents = new CopyOnWriteArrayList<>();
            List<Thread> threads = new CopyOnWriteArrayList<>();
            CountDownLatch readable = new CountDownLatch(1);
            CountDownLatch hangup = new CountDownLatch(1);
            LibvirtNative.HandleFunc onRead = keep((watch, fd, events, opaque) -> {
                readEvents.add(events);
                threads.add(Thread.currentThread());
                if ((events & HandleEvents.READABLE) != 0) {
                    pipe.drain();
                    readable.countDown();
                }
                if ((events & HandleEvents.HANGUP) != 0) {
                    LibvirtNative.virEventUpdateHandle(watch, 0); // stop the level-triggered hangup
                    hangup.countDown();
                }
            });
            CountDownLatch writable = new CountDownLatch(1);
            AtomicInteger writeEvents = new AtomicInteger();
            LibvirtNative.HandleFunc onWrite = keep((watch, fd, events, opaque) -> {
                writeEvents.set(events);
                LibvirtNative.virEventUpdateHandle(watch, 0);
                writable.countDown();
            });
            CountDownLatch freed = new CountDownLatch(2);
            LibvirtNative.FreeFunc ff = keep(opaque -> freed.countDown());

            int r = LibvirtNative.virEventAddHandle(pipe.readFd(), HandleEvents.READABLE, onRead, null, ff);
            int w = LibvirtNative.virEventAddHandle(pipe.writeFd(), HandleEvents.WRITABLE, onWrite, null, ff);
            assertThat(r).isPositive();
            assertThat(w).isPositive().isNotEqualTo(r);
            assertThat(impl.liveHandles()).isGreaterThanOrEqualTo(2);

            pipe.writeByte();
            LoopThread.await(readable, "the read end to be reported readable");
            LoopThread.await(writable, "the write end to be reported writable");
            assertThat(readEvents.get(0)).isEqualTo(HandleEvents.READABLE);
            assertThat(writeEvents.get()).isEqualTo(HandleEvents.WRITABLE);

            pipe.closeWriteEnd();
            LoopThread.await(hangup, "the read end to report the writer's hangup");
            assertThat(readEvents.get(readEvents.size() - 1) & HandleEvents.HANGUP).isEqualTo(HandleEvents.HANGUP);
            assertThat(threads).allMatch(t -> t == runner.thread());

            assertThat(LibvirtNative.virEventRemoveHandle(r)).isZero();
            assertThat(LibvirtNative.virEventRemoveHandle(w)).isZero();
            LoopThread.await(freed, "both handles' frees");
        }
    }

    @Test
    void whatTheLoopRefusesIsAnsweredWithMinusOneAndNothingIsLeftRegistered() {
        int base = quietCount();
        LibvirtNative.TimeoutFunc cb = keep((timer, opaque) -> { });
        LibvirtNative.HandleFunc hcb = keep((watch, fd, events, opaque) -> { });
        AtomicInteger frees = new AtomicInteger();
        LibvirtNative.FreeFunc ff = keep(opaque -> frees.incrementAndGet());
        long refusalsBefore = impl.refusals();

        // Bad arguments: the loop's IllegalArgumentException becomes -1.
        assertThat(LibvirtNative.virEventAddHandle(-5, HandleEvents.READABLE, hcb, null, ff)).isEqualTo(-1);
        assertThat(LibvirtNative.virEventAddHandle(0, 0x40, hcb, null, ff)).as("unknown event bits").isEqualTo(-1);
        assertThat(LibvirtNative.virEventAddTimeout(-7, cb, null, ff)).isEqualTo(-1);
        assertThat(LibvirtNative.virEventAddTimeout(0, null, null, ff)).as("no callback").isEqualTo(-1);
        assertThat(LibvirtNative.virEventRemoveTimeout(Integer.MAX_VALUE)).as("unknown timer").isEqualTo(-1);
        assertThat(LibvirtNative.virEventRemoveHandle(Integer.MAX_VALUE)).as("unknown watch").isEqualTo(-1);
        LibvirtNative.virEventUpdateTimeout(Integer.MAX_VALUE, 0); // unknown: a no-op
        LibvirtNative.virEventUpdateHandle(Integer.MAX_VALUE, 1);

        // A loop that refuses everything (as a closed one does): -1, ignored, and no exception into C.
        int live = LibvirtNative.virEventAddTimeout(-1, cb, null, ff);
        assertThat(live).isPositive();
        loop.refuse = true;
        try {
            assertThat(LibvirtNative.virEventAddTimeout(0, cb, null, ff)).isEqualTo(-1);
            assertThat(LibvirtNative.virEventAddHandle(0, HandleEvents.READABLE, hcb, null, ff)).isEqualTo(-1);
            LibvirtNative.virEventUpdateTimeout(live, 0);
            LibvirtNative.virEventUpdateHandle(live, 1);
            assertThat(LibvirtNative.virEventRemoveTimeout(live)).isEqualTo(-1);
            assertThat(LibvirtNative.virEventRemoveHandle(live)).isEqualTo(-1);
        } finally {
            loop.refuse = false;
        }
        assertThat(impl.refusals() - refusalsBefore).isEqualTo(10);
        assertThat(impl.liveRegistrations()).as("only the timer added before refusing").isEqualTo(base + 1);
        assertThat(LibvirtNative.virEventRemoveTimeout(live)).isZero();
        LoopThread.until(() -> impl.liveRegistrations() == base, "the last free");
        assertThat(frees).as("only the one accepted registration was freed").hasValue(1);
        assertThat(loop.stats().callbackFailures()).isZero();
    }

    @Test
    void forcedCollectionsDoNotDisturbTheCallbacksLibvirtHolds() {
        // The six entry points are static; libvirt's cb/ff proxies live in the loop's registrations.
        int rounds = 20;
        CountDownLatch fired = new CountDownLatch(rounds);
        CountDownLatch freed = new CountDownLatch(rounds);
        List<Integer> ids = new ArrayList<>();
        LibvirtNative.TimeoutFunc cb = keep((timer, opaque) -> {
            LibvirtNative.virEventRemoveTimeout(timer);
            fired.countDown();
        });
        LibvirtNative.FreeFunc ff = keep(opaque -> freed.countDown());
        for (int i = 0; i < rounds; i++) {
            System.gc();
            ids.add(LibvirtNative.virEventAddTimeout(i % 3, cb, null, ff));
        }
        assertThat(ids).allMatch(id -> id > 0).doesNotHaveDuplicates();
        System.gc();
        LoopThread.await(fired, "every timer to fire once");
        LoopThread.await(freed, "every free");
    }

    @Test
    void libvirtsDefaultLoopCannotStartWhileALoopIsRegistered() {
        assertThatThrownBy(LibvirtEventLoop::new)
                .isInstanceOf(EventLoopException.class)
                .hasMessageContaining("LibvirtEventImpl.register")
                .hasMessageContaining("use that loop instead");
    }

    @Test
    void libvirtJavasInitEventLoopAfterRegistrationIsIgnoredByLibvirt() throws Exception {
        Library.initEventLoop(); // virEventRegisterDefaultImpl: libvirt keeps the first implementation
        CountDownLatch fired = new CountDownLatch(1);
        LibvirtNative.TimeoutFunc cb = keep((timer, opaque) -> {
            LibvirtNative.virEventRemoveTimeout(timer);
            fired.countDown();
        });
        int before = quietCount();
        int timeoutsBefore = loop.stats().liveTimeouts();
        int id = LibvirtNative.virEventAddTimeout(-1, cb, null, null);
        assertThat(loop.stats().liveTimeouts()).as("still added to our loop").isEqualTo(timeoutsBefore + 1);
        LibvirtNative.virEventUpdateTimeout(id, 0);
        LoopThread.await(fired, "the timer on our loop");
        LoopThread.until(() -> impl.liveRegistrations() == before, "the timer's free");
    }
}
