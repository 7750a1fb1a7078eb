package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.ao.Ao;
import org.xlbridge.libxl.ao.AoHow;
import org.xlbridge.libxl.ao.DomainConfig;
import org.xlbridge.libxl.ao.LibxlDomains;
import org.xlbridge.libxl.ao.LibxlEvent;
import org.xlbridge.xen.DomainState;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.SimHost;

/**
 * An operation racing its own timeout, all the way up: simulated host, libxl operations, the real
 * {@link OsEventBridge}, Guice wiring, a {@link ManualEventLoop}. The exact schedule:
 *
 * <ol>
 *   <li>shutdown of domain A with a 100 ms timeout; A's guest answers after 100 ms;</li>
 *   <li>t = 100 ms: the loop picks A's timeout and its dispatch is held just before {@code occurredTimeout}
 *       (no lock held: the application's call can be arbitrarily late);</li>
 *   <li>in that same iteration the guest's answer arrives: a second dispatch thread delivers the store's fd,
 *       the watch completes the shutdown with 0 and gets rid of the loser, the timeout;</li>
 *   <li>the application starts a shutdown of domain B with a 60 s timeout;</li>
 *   <li>the held dispatch goes on and calls {@code occurredTimeout} with A's token.</li>
 * </ol>
 *
 * Under {@code ASAP_MODIFY} the ctx discards that call (A's timeout was deregistered with modify(ASAP), which the
 * bridge ignored because it was already firing), and B later completes with 0. Under {@code LEGACY_DEREGISTER} the
 * token was recycled at once and now serves B's timeout: B fails with TIMEDOUT at t = 100 ms, 60 s early, while its
 * guest is still running. The same test asserts the bug under the legacy protocol, so it can fail.
 */
class OperationRaceDeterministicTest {
    private static final int TIMEDOUT = LibxlError.TIMEDOUT.code();

    /** Everything of one run. */
    static final class World {
        final ManualEventLoop loop = new ManualEventLoop();
        final HandleCapturingLoop capturing = new HandleCapturingLoop(loop);
        final BridgeRaceDeterministicTest.HoldingListener listener = new BridgeRaceDeterministicTest.HoldingListener();
        final ManualDriver d;
        final SimHost host = new SimHost(loop::nanoTime);
        final LibxlDomains doms;
        final List<LibxlEvent> events = new CopyOnWriteArrayList<>();
        final Map<Ao, AtomicInteger> completions = new ConcurrentHashMap<>();
        final Map<Ao, Long> completedAt = new ConcurrentHashMap<>();

        World(DeregistrationProtocol protocol) {
            d = new ManualDriver(capturing, loop, listener, protocol);
            doms = new LibxlDomains(d.ctx, host, events::add);
        }

        AoHow how() {
            return AoHow.callback((ao, rc) -> {
                completions.computeIfAbsent(ao, k -> new AtomicInteger()).incrementAndGet();
                completedAt.put(ao, loop.nanoTime());
            });
        }

        int completions(Ao ao) {
            AtomicInteger n = completions.get(ao);
            return n == null ? 0 : n.get();
        }

        /** The loop's handle on the store's fd. */
        int storeHandle() {
            int fd = doms.watcher().connection().fd();
            return loop.liveHandles().stream().filter(h -> loop.handleFd(h).orElse(-1) == fd).findFirst()
                    .orElseThrow(() -> new AssertionError("the store's fd is not watched"));
        }

        void flush() throws InterruptedException {
            assertThat(doms.watcher().connection().awaitFlushed(5_000)).isTrue();
        }

        /** The loop is idle: deliver the store's fd through it. */
        void deliverStoreFd() throws InterruptedException {
            flush();
            loop.fireHandle(storeHandle(), HandleEvents.READABLE);
        }
    }

    private World runSchedule(DeregistrationProtocol protocol, Ao[] aos) throws Exception {
        World w = new World(protocol);
        Ao createA = w.doms.create(DomainConfig.of("a", 131_072, 1, GuestScript.cooperative()
                .withShutdownAnswerMs(100)), w.how());
        Ao createB = w.doms.create(DomainConfig.of("b", 131_072, 1, GuestScript.cooperative()
                .withShutdownAnswerMs(1_000)), w.how());
        assertThat(createA.rc()).isZero();
        assertThat(createB.rc()).isZero();
        int a = createA.domid();
        int b = createB.domid();

        Ao shutdownA = w.doms.shutdown(a, 100, w.how());
        w.deliverStoreFd(); // the watch's first firing: A still runs
        assertThat(shutdownA.isComplete()).isFalse();

        AtomicReference<Throwable> dispatchError = new AtomicReference<>();
        Thread dispatcher = new Thread(() -> {
            try {
                w.loop.advance(Duration.ofMillis(100));
            } catch (Throwable t) {
                dispatchError.set(t);
            }
        }, "loop-dispatch");
        dispatcher.start();
        assertThat(w.listener.entered.await(10, TimeUnit.SECONDS)).as("the loop picked A's timeout").isTrue();
        assertThat(w.loop.nanoTime()).isEqualTo(100_000_000L);

        // Same iteration: the guest answers and a second dispatch thread delivers the store's fd.
        assertThat(w.host.runDue()).as("A's guest answered").isPositive();
        w.flush();
        w.capturing.dispatchHandle(w.storeHandle(), w.doms.watcher().connection().fd(), HandleEvents.READABLE);
        assertThat(shutdownA.isComplete()).as("the watch won").isTrue();
        assertThat(shutdownA.rc()).isZero();

        // The application goes on: a shutdown of B, whose guest answers after 1 s; its timeout is 60 s.
        Ao shutdownB = w.doms.shutdown(b, 60_000, w.how());

        w.listener.release.countDown();
        dispatcher.join(10_000);
        assertThat(dispatcher.isAlive()).isFalse();
        assertThat(dispatchError.get()).isNull();
        w.loop.runDue();
        aos[0] = shutdownA;
        aos[1] = shutdownB;
        return w;
    }

    @Test
    void asapModify_theStaleTimeoutIsDiscardedAndTheNextOperationIsUntouched() throws Exception {
        Ao[] aos = new Ao[2];
        World w = runSchedule(DeregistrationProtocol.ASAP_MODIFY, aos);
        Ao shutdownA = aos[0];
        Ao shutdownB = aos[1];

        assertThat(w.d.bridge.stats().modifyWhileFiring()).as("modify(ASAP) raced the dispatch").isEqualTo(1);
        assertThat(w.d.ctx.stats().staleTimeoutsDiscarded()).as("the late occurredTimeout was discarded")
                .isGreaterThanOrEqualTo(1);
        assertThat(shutdownB.isComplete()).as("B is untouched by A's stale timeout").isFalse();

        w.deliverStoreFd(); // B's watch fires once when set
        w.loop.advance(Duration.ofMillis(1_000));
        w.host.runDue();
        w.deliverStoreFd();
        assertThat(shutdownB.isComplete()).isTrue();
        assertThat(shutdownB.rc()).isZero();
        assertThat(w.host.domainInfo(shutdownB.domid()).orElseThrow().state()).isEqualTo(DomainState.SHUTDOWN);
        assertThat(w.completions(shutdownA)).isEqualTo(1);
        assertThat(w.completions(shutdownB)).isEqualTo(1);
        w.loop.runDue();
        w.loop.runDue();

        assertThat(w.doms.stats().violations()).as("I10").isZero();
        assertThat(w.d.ctx.stats().timeoutsFiredEarly()).as("I2").isZero();
        assertThat(w.d.bridge.stats().violations()).isZero();
        assertThat(w.listener.violations).isEmpty();
        assertThat(w.doms.stats().inProgress()).isZero();
        assertThat(w.doms.stats().registeredWatches()).isZero();
        BridgeRaceDeterministicTest.assertQuiescent(w.d);
    }

    @Test
    void legacyDeregister_theStaleTimeoutFailsTheNextOperationEarly() throws Exception {
        Ao[] aos = new Ao[2];
        World w = runSchedule(DeregistrationProtocol.LEGACY_DEREGISTER, aos);
        Ao shutdownA = aos[0];
        Ao shutdownB = aos[1];

        // The bug, in an operation's terms: B completed TIMEDOUT at t = 100 ms, its deadline being t = 60.1 s,
        // while its guest is still running.
        assertThat(shutdownB.isComplete()).as("A's stale timeout completed B").isTrue();
        assertThat(shutdownB.rc()).isEqualTo(TIMEDOUT);
        assertThat(w.completedAt.get(shutdownB)).isEqualTo(100_000_000L);
        assertThat(w.host.domainInfo(shutdownB.domid()).orElseThrow().state())
                .isIn(DomainState.RUNNING, DomainState.SHUTTING_DOWN);
        assertThat(w.doms.stats().earlyTimeouts()).as("counted as an I10 violation").isEqualTo(1);
        assertThat(w.d.ctx.stats().timeoutsFiredEarly()).as("and an I2 one").isEqualTo(1);
        assertThat(shutdownA.rc()).isZero();
        assertThat(w.completions(shutdownA)).isEqualTo(1);
    }
}
