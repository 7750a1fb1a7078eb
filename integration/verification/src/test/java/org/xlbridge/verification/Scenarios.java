package org.xlbridge.verification;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.xlbridge.driver.BridgeListener;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.OsEventBridge;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.FdEvent;
import org.xlbridge.libxl.FdToken;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.OsEventHookException;
import org.xlbridge.libxl.OsEventHooks;
import org.xlbridge.libxl.TimeEvent;
import org.xlbridge.libxl.TimeoutToken;
import org.xlbridge.libxl.ao.Ao;
import org.xlbridge.libxl.ao.AoHow;
import org.xlbridge.libxl.ao.DomainConfig;
import org.xlbridge.libxl.ao.DomainsStats;
import org.xlbridge.libxl.ao.LibxlDomains;
import org.xlbridge.libxl.xs.XsWatch;
import org.xlbridge.posix.Posix;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.SimHost;

/**
 * The explored scenarios: the real {@link LibxlContext} and a bridge (the real {@link OsEventBridge}, or a
 * {@link MutantBridge}) on the pure-Java loops — {@link ManualEventLoop} driven by a test thread, behind
 * {@link PooledDispatchEventLoop} so dispatches (and the frees after them) run on pool threads. Each
 * scenario builds fresh objects, runs 2–3 threads, drains the loop and checks the invariants of SPEC
 * (I1–I4, I7, I9, I10), throwing {@link AssertionError} naming what broke. Fray runs it once per schedule.
 *
 * <p>Locking: a scenario's shared test state is atomics; the threads are joined before the checks.
 */
final class Scenarios {
    private Scenarios() {
    }

    /** Which bridge a scenario runs on. */
    record Setup(DeregistrationProtocol protocol, MutantBridge.Mutation mutation) {
        static Setup fixed() {
            return new Setup(DeregistrationProtocol.ASAP_MODIFY, null);
        }

        static Setup legacy() {
            return new Setup(DeregistrationProtocol.LEGACY_DEREGISTER, null);
        }

        static Setup mutant(MutantBridge.Mutation m) {
            return new Setup(DeregistrationProtocol.ASAP_MODIFY, m);
        }

        @Override
        public String toString() {
            return mutation != null ? "mutant " + mutation : protocol.toString();
        }
    }

    /** Counts what libxl asked of the application, in front of the bridge. */
    static final class CountingHooks implements OsEventHooks {
        final OsEventHooks inner;
        final AtomicInteger timeoutsRegistered = new AtomicInteger();
        final AtomicInteger timeoutDeregisters = new AtomicInteger();

        CountingHooks(OsEventHooks inner) {
            this.inner = inner;
        }

        @Override
        public Object timeoutRegister(long deadlineNanos, TimeoutToken token) throws OsEventHookException {
            Object reg = inner.timeoutRegister(deadlineNanos, token);
            timeoutsRegistered.incrementAndGet();
            return reg;
        }

        @Override
        public Object timeoutModify(Object forApp, long deadlineNanos) throws OsEventHookException {
            return inner.timeoutModify(forApp, deadlineNanos);
        }

        @Override
        public void timeoutDeregister(Object forApp) {
            timeoutDeregisters.incrementAndGet();
            inner.timeoutDeregister(forApp);
        }

        @Override
        public Object fdRegister(int fd, int events, FdToken token) throws OsEventHookException {
            return inner.fdRegister(fd, events, token);
        }

        @Override
        public Object fdModify(int fd, Object forApp, int events) throws OsEventHookException {
            return inner.fdModify(fd, forApp, events);
        }

        @Override
        public void fdDeregister(int fd, Object forApp) {
            inner.fdDeregister(fd, forApp);
        }
    }

    /** One scenario's objects: manual loop, pooled dispatch over it, bridge, ctx. */
    static final class World {
        final Setup setup;
        final ManualEventLoop manual = new ManualEventLoop();
        final PooledDispatchEventLoop pooled;
        final OsEventBridge bridge;
        final MutantBridge mutant;
        final CountingHooks hooks;
        final LibxlContext ctx;
        final int dispatchThreads;
        /** The real bridge's first reported violation, for the failure message. */
        final AtomicReference<String> firstBridgeViolation = new AtomicReference<>();
        /** Things a callback saw that must not happen (I2: a deregistered event's callback ran). */
        final AtomicReference<String> callbackViolation = new AtomicReference<>();

        World(Setup setup, int dispatchThreads) {
            this.setup = setup;
            this.dispatchThreads = dispatchThreads;
            this.pooled = new PooledDispatchEventLoop(manual, dispatchThreads, 0);
            EventLoop loop = pooled;
            if (setup.mutation() != null) {
                mutant = new MutantBridge(loop, setup.mutation());
                bridge = null;
                hooks = new CountingHooks(mutant);
            } else {
                mutant = null;
                bridge = new OsEventBridge(loop, new BridgeListener() {
                    @Override
                    public void violation(String what) {
                        firstBridgeViolation.compareAndSet(null, what);
                    }
                });
                hooks = new CountingHooks(bridge);
            }
            ctx = LibxlContext.builder().hooks(hooks).timeSource(manual::nanoTime).protocol(setup.protocol()).build();
            if (bridge != null) {
                bridge.attach(ctx);
            } else {
                mutant.attach(ctx);
            }
        }

        void callbackViolation(String what) {
            callbackViolation.compareAndSet(null, what);
        }

        /**
         * Waits, blocking (a spin would starve the other threads under PCT), until every dispatch handed
         * to the pool so far has returned and run its free: one sentinel timer per pool thread is
         * dispatched behind them, and each sentinel holds its thread until all sentinels run, which
         * happens only once every thread has finished what it took before.
         */
        void settle() throws InterruptedException {
            if (mutant != null) {
                mutant.joinHelpers();
            }
            CountDownLatch all = new CountDownLatch(dispatchThreads);
            for (int i = 0; i < dispatchThreads; i++) {
                pooled.addTimeout(0, t -> {
                    pooled.removeTimeout(t);
                    all.countDown();
                    try {
                        all.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, null);
            }
            manual.runDue();
            all.await();
        }

        /** Runs the loop until nothing is due, in flight or waiting to be freed (bounded). */
        void drain(Duration step) throws InterruptedException {
            settle();
            for (int round = 0; round < 5; round++) {
                manual.advance(step);
                settle();
                manual.runDue(); // frees queued by removes of the last pass (the sentinels' included)
                EventLoopStats s = manual.stats();
                if (s.liveTimeouts() == 0 && s.pendingFrees() == 0 && pooled.dispatchesInFlight() == 0) {
                    return;
                }
            }
        }

        long bridgeViolations() {
            return bridge != null ? bridge.stats().violations() : mutant.violations();
        }

        /** I1–I4 and I7 at quiescence; under the legacy protocol I1 and I7 do not apply (it deregisters). */
        void check(String scenario) {
            List<String> broken = new ArrayList<>();
            LibxlStats c = ctx.stats();
            EventLoopStats l = manual.stats();
            if (callbackViolation.get() != null) {
                broken.add("I2 " + callbackViolation.get());
            }
            if (c.timeoutsFiredEarly() > 0) {
                broken.add("I2 " + c.timeoutsFiredEarly() + " time event(s) fired before their deadline"
                        + " (a late occurredTimeout hit a recycled nexus)");
            }
            long v = bridgeViolations();
            String reported = mutant != null ? mutant.firstViolation() : firstBridgeViolation.get();
            if (v > 0 && mutant == null && reported != null && reported.contains("dispatch after free")) {
                broken.add("loop contract (Contract 1, semantic 6): the loop dispatched a registration after"
                        + " running its free; the bridge detected it and ignored it: " + reported
                        + " (e.g. PooledDispatchEventLoop's former free-before-last-dispatch race, docs/verification.md)");
            } else if (v > 0) {
                broken.add("I3 " + v + " use(s) after free / double free in the bridge"
                        + ": " + reported);
            }
            if (setup.protocol() == DeregistrationProtocol.ASAP_MODIFY) {
                long answered = c.timeoutsFired() + (c.staleTimeoutsDiscarded() - c.timeoutsOnIdleNexus())
                        + c.occurredAfterClose();
                if (c.timeoutsOnIdleNexus() > 0) {
                    broken.add("I1 " + c.timeoutsOnIdleNexus() + " occurredTimeout(s) for a nexus already answered");
                }
                if (answered != hooks.timeoutsRegistered.get()) {
                    broken.add("I1 " + hooks.timeoutsRegistered.get() + " timeoutRegister answered by "
                            + answered + " occurredTimeout");
                }
                if (hooks.timeoutDeregisters.get() > 0) {
                    broken.add("I7 timeoutDeregister called " + hooks.timeoutDeregisters.get() + " times");
                }
            }
            int bridgeLive = bridge != null ? bridge.stats().liveTimeouts() + bridge.stats().liveFds()
                    : mutant.liveTimeouts();
            if (l.liveTimeouts() != 0 || l.liveHandles() != 0 || l.pendingFrees() != 0 || bridgeLive != 0
                    || c.timeoutNexiInUse() != 0 || c.fdNexiInUse() != 0 || c.registeredTimeEvents() != 0
                    || c.registeredFdEvents() != 0) {
                broken.add("I4 not quiescent: loop timeouts=" + l.liveTimeouts() + " handles=" + l.liveHandles()
                        + " pendingFrees=" + l.pendingFrees() + ", bridge live=" + bridgeLive
                        + ", ctx busy nexi=" + c.timeoutNexiInUse() + "+" + c.fdNexiInUse()
                        + ", registered events=" + c.registeredTimeEvents() + "+" + c.registeredFdEvents());
            }
            if (!broken.isEmpty()) {
                throw new AssertionError(scenario + " on " + setup + ": " + String.join("; ", broken));
            }
        }

        void close() {
            pooled.close();
        }
    }

    /** Starts the given bodies as named threads and joins them; the first throwable is rethrown. */
    static void runThreads(String[] names, ThrowingRunnable... bodies) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[bodies.length];
        for (int i = 0; i < bodies.length; i++) {
            ThrowingRunnable body = bodies[i];
            threads[i] = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, names[i]);
        }
        for (Thread t : threads) {
            t.start();
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while joining the scenario's threads", e);
        }
        if (failure.get() != null) {
            throw new AssertionError("a scenario thread threw", failure.get());
        }
    }

    /** A thread body that may throw. */
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static Runnable scenario(String name, ThrowingRunnable body) {
        return () -> {
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError(name + " threw", e);
            }
        };
    }

    /**
     * (a) libxl deregisters E (modify ASAP, or the legacy deregister) and registers F while the loop
     * dispatches E on a pool thread; the free of E runs on whichever of the loop and pool threads comes
     * last. Threads: loop (advance 10 ms), toolstack (deregister E, register F for +1 s), one pool thread.
     * Under the legacy protocol F can take E's recycled nexus and E's late occurredTimeout fires F 1 s
     * early (I2).
     */
    static Runnable deregisterDuringDispatch(Setup setup) {
        return scenario("deregister-during-dispatch", () -> {
            World w = new World(setup, 1);
            try {
                AtomicInteger eDeregistered = new AtomicInteger();
                TimeEvent e = w.ctx.newTimeEvent();
                e.registerRel(10, (ev, deadline, rc) -> {
                    if (eDeregistered.get() != 0) {
                        w.callbackViolation("E's callback ran after E was deregistered");
                    }
                });
                TimeEvent f = w.ctx.newTimeEvent();
                runThreads(new String[] {"loop", "toolstack"},
                        () -> w.manual.advance(Duration.ofMillis(10)),
                        () -> w.ctx.withLock(() -> {
                            e.deregister();
                            eDeregistered.set(1);
                            f.registerRel(1000, (ev, deadline, rc) -> { });
                        }));
                w.drain(Duration.ofSeconds(2));
                w.check("deregister-during-dispatch");
            } finally {
                w.close();
            }
        });
    }

    /**
     * (b) Two pool threads dispatch the same timer (frequency 0, so due at each of the loop's two passes)
     * while the toolstack deregisters it and registers F. Threads: loop (two passes), toolstack, two pool
     * threads. The once-only guard must let exactly one dispatch deliver.
     */
    static Runnable twoDispatchesAgainstModify(Setup setup) {
        return scenario("two-dispatches-against-modify", () -> {
            World w = new World(setup, 2);
            try {
                AtomicInteger eDeregistered = new AtomicInteger();
                TimeEvent e = w.ctx.newTimeEvent();
                e.registerRel(0, (ev, deadline, rc) -> {
                    if (eDeregistered.get() != 0) {
                        w.callbackViolation("E's callback ran after E was deregistered");
                    }
                });
                TimeEvent f = w.ctx.newTimeEvent();
                runThreads(new String[] {"loop", "toolstack"},
                        () -> {
                            w.manual.runDue();
                            w.manual.runDue();
                        },
                        () -> w.ctx.withLock(() -> {
                            e.deregister();
                            eDeregistered.set(1);
                            f.registerRel(1000, (ev, deadline, rc) -> { });
                        }));
                w.drain(Duration.ofSeconds(2));
                w.check("two-dispatches-against-modify");
            } finally {
                w.close();
            }
        });
    }

    /**
     * (c) The ctx is closed (libxl_ctx_free) with two timeouts outstanding, one of them being dispatched.
     * Threads: loop (one pass, E1 due), closer, one pool thread. After close no callback may run, and every
     * registration is still answered and freed.
     */
    static Runnable closeAgainstDispatch(Setup setup) {
        return scenario("close-against-dispatch", () -> {
            World w = new World(setup, 1);
            try {
                AtomicInteger closed = new AtomicInteger();
                TimeEvent e1 = w.ctx.newTimeEvent();
                TimeEvent e2 = w.ctx.newTimeEvent();
                e1.registerRel(0, (ev, deadline, rc) -> {
                    if (closed.get() != 0) {
                        w.callbackViolation("E1's callback ran after close");
                    }
                });
                e2.registerRel(1000, (ev, deadline, rc) -> w.callbackViolation("E2's callback ran"));
                runThreads(new String[] {"loop", "closer"},
                        () -> w.manual.runDue(),
                        () -> w.ctx.withLock(() -> {
                            w.ctx.close();
                            closed.set(1);
                        }));
                w.drain(Duration.ZERO);
                w.check("close-against-dispatch");
            } finally {
                w.close();
            }
        });
    }

    /**
     * (d) An fd watch is modified and then deregistered while the loop reports it ready and a pool thread
     * dispatches it. Threads: loop (fireHandle twice), toolstack (modify, deregister), one pool thread. The
     * fd is a real readable pipe (the ctx re-checks readiness with poll(2)). The callback must never run
     * after deregistration; the registration is freed once.
     */
    static Runnable fdModifyDeregisterDuringDispatch(Setup setup) {
        return scenario("fd-modify-deregister-during-dispatch", () -> {
            World w = new World(setup, 1);
            int[] pipe = new int[2];
            Posix.pipe2(pipe, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
            try {
                Posix.write(pipe[1], new byte[] {1}, 1);
                AtomicInteger deregistered = new AtomicInteger();
                AtomicLong delivered = new AtomicLong();
                FdEvent fe = w.ctx.newFdEvent();
                fe.register(pipe[0], Posix.POLLIN, (ev, fd, events, revents) -> {
                    delivered.incrementAndGet();
                    if (deregistered.get() != 0) {
                        w.callbackViolation("fd callback ran after deregistration");
                    }
                });
                int watch = w.manual.liveHandles().get(0);
                runThreads(new String[] {"loop", "toolstack"},
                        () -> {
                            w.manual.fireHandle(watch, HandleEvents.READABLE);
                            w.manual.fireHandle(watch, HandleEvents.READABLE | HandleEvents.WRITABLE);
                        },
                        () -> {
                            fe.modify(Posix.POLLIN | Posix.POLLOUT);
                            w.ctx.withLock(() -> {
                                fe.deregister();
                                deregistered.set(1);
                            });
                        });
                w.drain(Duration.ZERO);
                w.check("fd-modify-deregister-during-dispatch");
                if (w.bridge != null) {
                    BridgeStats b = w.bridge.stats();
                    if (b.fdFrees() != 1) {
                        throw new AssertionError("I3 the fd registration was freed " + b.fdFrees() + " times");
                    }
                }
            } finally {
                w.close();
                Posix.close(pipe[0]);
                Posix.close(pipe[1]);
            }
        });
    }

    /**
     * (e) libvirt's object-event queue on the loop, without the bridge: one timer per connection added
     * disabled (-1); the API thread queues events and, under the queue's lock, sets the timer to 0; the
     * flush, on the loop thread, sets it to -1 and takes the queue under that lock, delivers, and on the
     * last event removes its own timer from inside its callback and stops the loop. Threads: loop
     * ({@code run()}), API. Checked: every event delivered exactly once and in order (I9), the free runs
     * once and after the last callback returned, nothing left in the loop (I4).
     */
    static Runnable libvirtEventQueueTimer() {
        return scenario("libvirt-event-queue-timer", () -> {
            ManualEventLoop loop = new ManualEventLoop();
            try {
                Object queueLock = new Object();
                List<Integer> queue = new ArrayList<>();
                List<Integer> delivered = new ArrayList<>();
                AtomicInteger inCallback = new AtomicInteger();
                AtomicInteger frees = new AtomicInteger();
                AtomicReference<String> violation = new AtomicReference<>();
                int[] timer = new int[1];
                final int last = 3;
                timer[0] = loop.addTimeout(-1, t -> {
                    inCallback.incrementAndGet();
                    try {
                        List<Integer> batch;
                        synchronized (queueLock) {
                            loop.updateTimeout(t, -1);
                            batch = new ArrayList<>(queue);
                            queue.clear();
                        }
                        for (int ev : batch) {
                            delivered.add(ev);
                            if (ev == last) {
                                loop.removeTimeout(t);
                                loop.stop();
                            }
                        }
                    } finally {
                        inCallback.decrementAndGet();
                    }
                }, () -> {
                    if (inCallback.get() != 0) {
                        violation.compareAndSet(null, "free ran while the timer's callback was running");
                    }
                    frees.incrementAndGet();
                });
                runThreads(new String[] {"loop", "api"},
                        loop::run,
                        () -> {
                            for (int ev = 1; ev <= last; ev++) {
                                synchronized (queueLock) {
                                    queue.add(ev);
                                    loop.updateTimeout(timer[0], 0);
                                }
                            }
                        });
                List<String> broken = new ArrayList<>();
                if (!delivered.equals(List.of(1, 2, 3))) {
                    broken.add("I9 events delivered " + delivered + ", expected [1, 2, 3] once each in order");
                }
                if (frees.get() != 1) {
                    broken.add("I3 free ran " + frees.get() + " times");
                }
                if (violation.get() != null) {
                    broken.add("I3 " + violation.get());
                }
                EventLoopStats s = loop.stats();
                if (s.liveTimeouts() != 0 || s.pendingFrees() != 0) {
                    broken.add("I4 loop not quiescent: " + s);
                }
                if (!broken.isEmpty()) {
                    throw new AssertionError("libvirt-event-queue-timer: " + String.join("; ", broken));
                }
            } finally {
                loop.close();
            }
        });
    }

    /** The loop's live handle on {@code fd}, or -1. */
    private static int handleOn(ManualEventLoop loop, int fd) {
        return loop.liveHandles().stream().filter(h -> loop.handleFd(h).orElse(-1) == fd).findFirst().orElse(-1);
    }

    /**
     * Delivers the store's fd through the loop, the way the application's poll would once the connection's
     * writer thread has put every queued notification in the pipe: waits for that hand-off (a Java wait, which
     * Fray controls), then fires the store's handle from the calling thread. No thread ever blocks in poll(2)
     * or read(2) on the pipe (Fray could not see it): the pipe is non-blocking and read only when reported ready.
     */
    private static void deliverStoreFd(ManualEventLoop loop, LibxlDomains doms) throws InterruptedException {
        for (int i = 0; !doms.watcher().connection().awaitFlushed(5_000); i++) {
            if (i == 3) {
                throw new AssertionError("the xenstore writer did not flush its notifications");
            }
        }
        int h = handleOn(loop, doms.watcher().connection().fd());
        if (h < 0) {
            throw new AssertionError("the store's fd is not watched");
        }
        loop.fireHandle(h, HandleEvents.READABLE);
    }

    /**
     * (f) An operation's guest answer against its own timeout, on the simulated host with libxl's operations
     * ({@link LibxlDomains}) over the real bridge: shutdown of domain A with a 100 ms timeout, A's guest
     * answering after 100 ms. At t = 100 ms the loop thread passes the timeout to pool thread 1, runs the host
     * (the guest answers: the store queues the {@code @releaseDomain} notification for the connection's writer
     * thread) and, once the writer has put it in the pipe, fires the store's fd, which pool thread 2 delivers
     * (ctx, watch, the shutdown completes with 0 and gets rid of its timeout: modify(ASAP), or the legacy
     * deregister). Whichever of the two dispatches wins completes A; the application thread, as soon as A
     * completed, starts a shutdown of domain B with a 60 s timeout, whose guest answers after 1 s. Threads:
     * loop, app, two pool threads, the store's writer. The host's clock is the loop's virtual clock and its
     * actions run only from {@code runDue()} on the scenario's threads (no host clock thread); an extra watch
     * keeps the store's fd registered throughout so its handle is stable.
     *
     * <p>Checked: A completed exactly once, with 0 or TIMEDOUT (both are right: the answer and the timeout are
     * due at the same instant); B not completed before its guest answered, then exactly once with 0 (I10,
     * I2: under the legacy protocol A's late occurredTimeout hits its recycled nexus, now B's, and B fails
     * TIMEDOUT at t = 100 ms, ~60 s early); no I10 violation counted by the operations; I1–I4, I7 as in (a);
     * no operation, watch or registration left (I4).
     */
    static Runnable operationAnswerAgainstItsTimeout(Setup setup) {
        return scenario("operation-answer-against-its-timeout", () -> {
            World w = new World(setup, 2);
            SimHost host = new SimHost(w.manual::nanoTime);
            LibxlDomains doms = new LibxlDomains(w.ctx, host, ev -> { });
            try {
                // Counted per domain in atomics, not in a map keyed by Ao: a ConcurrentHashMap's bin
                // collisions depend on identity hashes (different in every JVM) and add a lock, i.e. a
                // scheduling point, which would make a kept recording replay differently.
                int[] domid = {-1, -1};
                AtomicInteger aCompletions = new AtomicInteger();
                AtomicInteger bCompletions = new AtomicInteger();
                AtomicLong bCompletedAt = new AtomicLong(-1);
                CountDownLatch aDone = new CountDownLatch(1);
                AoHow how = AoHow.callback((ao, rc) -> {
                    if (ao.domid() == domid[0]) {
                        aCompletions.incrementAndGet();
                        aDone.countDown();
                    } else if (ao.domid() == domid[1]) {
                        bCompletions.incrementAndGet();
                        bCompletedAt.compareAndSet(-1, w.manual.nanoTime());
                    }
                });
                // Fixed UUIDs: DomainConfig.of draws one from SecureRandom, whose locks (and buffer refills,
                // depending on what the JVM drew before) would make the schedule's steps differ between runs.
                Ao createA = doms.create(new DomainConfig("a", new UUID(0, 1), 131_072, 1, List.of(),
                        GuestScript.cooperative().withShutdownAnswerMs(100)), AoHow.synchronous());
                Ao createB = doms.create(new DomainConfig("b", new UUID(0, 2), 131_072, 1, List.of(),
                        GuestScript.cooperative().withShutdownAnswerMs(1_000)), AoHow.synchronous());
                if (createA.rc() != 0 || createB.rc() != 0) {
                    throw new AssertionError("setup: create failed: " + createA + ", " + createB);
                }
                domid[0] = createA.domid(); // written before any thread that reads it is started
                domid[1] = createB.domid();
                XsWatch anchor = doms.watcher().newWatch();
                anchor.register("/anchor", (watch, path, eventPath) -> { });
                Ao shutdownA = doms.shutdown(createA.domid(), 100, how);
                deliverStoreFd(w.manual, doms); // the watches' first firings: A still runs
                w.settle();
                if (shutdownA.isComplete()) {
                    throw new AssertionError("setup: A completed before its guest answered: " + shutdownA);
                }
                Ao[] shutdownB = new Ao[1];
                runThreads(new String[] {"loop", "app"},
                        () -> {
                            w.manual.advance(Duration.ofMillis(100)); // A's timeout to a pool thread
                            host.runDue();                            // A's guest answers
                            deliverStoreFd(w.manual, doms);          // the answer to the other pool thread
                        },
                        () -> {
                            aDone.await();
                            shutdownB[0] = doms.shutdown(createB.domid(), 60_000, how);
                        });
                w.settle();
                List<String> broken = new ArrayList<>();
                Ao a = shutdownA;
                Ao b = shutdownB[0];
                if (b.isComplete()) {
                    broken.add("I10/I2 B completed with rc " + b.rc() + " at t = " + bCompletedAt.get() / 1_000_000
                            + " ms, before its guest answered and ~60 s before its deadline (A's stale timeout)");
                }
                deliverStoreFd(w.manual, doms); // B's watch fires once when set
                w.settle();
                w.manual.advance(Duration.ofMillis(1_100));
                host.runDue();                  // B's guest answers
                deliverStoreFd(w.manual, doms);
                w.settle();
                anchor.deregister();
                w.drain(Duration.ZERO);
                int aTimes = aCompletions.get();
                int bTimes = bCompletions.get();
                int timedOut = LibxlError.TIMEDOUT.code();
                if (aTimes != 1 || (a.rc() != 0 && a.rc() != timedOut)) {
                    broken.add("I10 A completed " + aTimes + " times, rc " + (a.isComplete() ? a.rc() : "-")
                            + " (expected once, 0 or TIMEDOUT)");
                }
                if (bTimes != 1 || !b.isComplete() || b.rc() != 0) {
                    broken.add("I10 B completed " + bTimes + " times, rc " + (b.isComplete() ? b.rc() : "-")
                            + " (expected once with 0)");
                }
                DomainsStats ds = doms.stats();
                if (ds.violations() != 0) {
                    broken.add("I10 the operations counted " + ds.violations() + " violation(s): " + ds);
                }
                if (ds.inProgress() != 0 || ds.registeredWatches() != 0 || ds.storeFdWatched()) {
                    broken.add("I4 operations not quiescent: " + ds);
                }
                try {
                    w.check("operation-answer-against-its-timeout");
                } catch (AssertionError e) {
                    broken.add(e.getMessage());
                }
                if (!broken.isEmpty()) {
                    throw new AssertionError("operation-answer-against-its-timeout on " + setup + ": "
                            + String.join("; ", broken));
                }
            } finally {
                doms.close();
                host.close();
                w.close();
            }
        });
    }
}
