package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * JNA callbacks and garbage collection: libvirt holds only native pointers to what the loop gave it, so
 * anything libvirt may call must stay strongly reachable from Java until libvirt's free callback, and
 * nothing may stay reachable after it.
 */
class LibvirtCallbackReachabilityTest {
    private static final long SECOND = 1_000_000_000L;

    @BeforeAll
    static void requireLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void thousandsOfSelfRemovingTimersFireAndFreeExactlyOnceAcrossGarbageCollections() {
        int count = 5_000;
        AtomicIntegerArray fires = new AtomicIntegerArray(count);
        AtomicIntegerArray frees = new AtomicIntegerArray(count);
        AtomicInteger freed = new AtomicInteger();
        LibvirtEventLoop loop = new LibvirtEventLoop();
        try {
            int routedBefore = CallbackRouter.size();
            WeakReference<TimeoutCallback> firstCallback = null;
            for (int i = 0; i < count; i++) {
                int index = i;
                // Fresh callback objects, referenced only by the loop from here on.
                TimeoutCallback cb = t -> {
                    fires.incrementAndGet(index);
                    loop.removeTimeout(t);
                };
                FreeCallback ff = () -> {
                    frees.incrementAndGet(index);
                    freed.incrementAndGet();
                };
                if (i == 0) {
                    firstCallback = new WeakReference<>(cb);
                }
                loop.addTimeout(1 + i % 50, cb, ff);
            }
            assertThat(CallbackRouter.size()).as("every registration routed")
                    .isGreaterThanOrEqualTo(routedBefore + count);
            System.gc();

            long deadline = System.nanoTime() + 30 * SECOND;
            int runs = 0;
            while (freed.get() < count && System.nanoTime() - deadline < 0) {
                loop.runOnce();
                runs++;
                System.gc();
            }
            for (int i = 0; i < count; i++) {
                assertThat(fires.get(i)).as("fires of timer %d (after %d runOnce calls)", i, runs).isEqualTo(1);
                assertThat(frees.get(i)).as("frees of timer %d", i).isEqualTo(1);
            }
            assertThat(loop.stats().liveTimeouts()).isZero();
            assertThat(loop.stats().pendingFrees()).isZero();
            assertThat(loop.stats().callbackFailures()).isZero();

            // libvirt's own free callbacks (GLib idle sources) release the routing entries.
            int keepTurning = loop.addTimeout(1, t -> { }, null);
            deadline = System.nanoTime() + 10 * SECOND;
            while (CallbackRouter.size() > routedBefore + 1 && System.nanoTime() - deadline < 0) {
                loop.runOnce();
            }
            assertThat(CallbackRouter.size()).as("routing entries left once libvirt freed them")
                    .isLessThanOrEqualTo(routedBefore + 1);
            loop.removeTimeout(keepTurning);

            for (int i = 0; i < 20 && firstCallback.get() != null; i++) {
                System.gc();
                LoopThread.sleep(10);
            }
            assertThat(firstCallback.get()).as("a freed registration's callback is not kept alive").isNull();
        } finally {
            loop.close();
        }
        assertThat(freed).hasValue(count);
    }
}
