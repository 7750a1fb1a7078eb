package org.xlbridge.race;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.util.Modules;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.BridgeListener;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.DriverConfigModule;
import org.xlbridge.driver.DriverRuntime;
import org.xlbridge.driver.EventLoopModule;
import org.xlbridge.driver.LibvirtClientModule;
import org.xlbridge.driver.LibvirtConnections;
import org.xlbridge.driver.LibxlDriverModule;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.time.TimeSource;

/**
 * The race harness behind {@code xlbridge race}: toolstack worker threads register libxl time events with
 * short random deadlines and deregister a share of them just before, at or after their deadline, so that
 * modify(ASAP) overlaps the loop's dispatch of the same timeout as often as possible. An
 * {@link InvariantChecker} watches the bridge and the events and counts violations of I1–I8. With a libvirt
 * URI, {@link LibvirtChurn} clients churn domains on a libvirt-java connection on the same loop meanwhile,
 * and their lifecycle events are checked against I9.
 *
 * <p>Each worker is a {@link RaceWorker} (its steps are described there).
 *
 * <p>Locking: workers share only the ctx (its own lock) and the checker (atomics); the counters here
 * are atomics.
 */
public final class RaceRunner {
    private static final Logger log = LoggerFactory.getLogger(RaceRunner.class);
    /** A refused registration is logged; the worker goes on. */
    private static final RaceWorker.Listener WORKER_LOG = new RaceWorker.Listener() {
        @Override
        public void registerFailed(LibxlException e) {
            log.warn("register failed: {}", e.toString());
        }

        @Override
        public void registered() {
        }
    };
    /** How long quiescence may take per step (libvirt's frees, the bridge's drain). */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /** How long the libvirt clients' last events may take to arrive after the clients stopped. */
    private static final long EVENT_SETTLE_NANOS = 10_000_000_000L;
    /** Delay bound of the pooled dispatcher (random per dispatch). */
    private static final long POOL_MAX_DELAY_NANOS = 200_000;

    private final RaceOptions options;
    private final PrintStream progress;
    private final AtomicLong registrations = new AtomicLong();
    private final AtomicLong deregistrations = new AtomicLong();
    private volatile boolean stopping;

    /**
     * @param progress where to print a progress line each second, or null for none
     */
    public RaceRunner(RaceOptions options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    /** Runs the race and returns the report. */
    public RaceReport run() throws InterruptedException {
        DriverConfig config = DriverConfig.defaults().withLoop(options.loop()).withProtocol(options.protocol())
                .withDrainTimeout(DRAIN_TIMEOUT).withLibvirtUri(options.libvirtUri());
        InvariantChecker checker = new InvariantChecker(options.protocol(), TimeSource.SYSTEM, 997);
        List<Module> modules = new ArrayList<>(List.of(
                new DriverConfigModule(config),
                loopModule(options.dispatchThreads()),
                Modules.override(new LibxlDriverModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(BridgeListener.class).toInstance(checker);
                    }
                })));
        if (options.libvirtUri() != null) {
            modules.add(new LibvirtClientModule());
        }
        Injector injector = Guice.createInjector(modules);
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class).start();
        LibxlContext ctx = runtime.context();
        checker.attach(ctx); // before any worker registers an event

        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + options.duration().toNanos();
        LibvirtChurn churn = null;
        if (options.libvirtUri() != null) {
            churn = new LibvirtChurn(injector.getInstance(LibvirtConnections.class), options.libvirtClients(),
                    runtime.loopThread());
            try {
                churn.start(end);
            } catch (LibvirtException e) {
                runtime.close();
                throw new IllegalStateException("cannot listen for domain events on '" + options.libvirtUri()
                        + "': " + e.getMessage(), e);
            }
        }
        for (int i = 0; i < options.workers(); i++) {
            RaceWorker w = new RaceWorker(ctx, checker, new SplittableRandom(options.seed() + i),
                    () -> System.nanoTime() < end && !stopping, registrations, deregistrations, WORKER_LOG);
            Thread t = new Thread(w, "xlbridge-worker-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long nextProgress = start + 1_000_000_000L;
        while (System.nanoTime() < end) {
            long now = System.nanoTime();
            if (now >= nextProgress) {
                if (progress != null) {
                    printProgress(now - start, runtime, checker, churn);
                }
                nextProgress += 1_000_000_000L;
            }
            LockSupport.parkNanos(Math.min(end, nextProgress) - now);
        }
        for (Thread t : threads) {
            t.join(RaceWorker.LIVENESS_BOUND_NANOS / 1_000_000 + 5_000);
            if (t.isAlive()) {
                stopping = true;
                checker.runnerViolation(Invariant.I5, t.getName() + " did not finish");
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        LibvirtReport libvirt = null;
        if (churn != null) {
            churn.finish(EVENT_SETTLE_NANOS);
            libvirt = churn.report(options.libvirtUri(), checker);
        }

        // Quiescence: libvirt's listeners and connection closed and freed, the ctx closed, the bridge
        // drained, the loop still turning; then check I4 before the loop stops.
        if (!runtime.quiesce()) {
            checker.runnerViolation(Invariant.I4, "not drained " + DRAIN_TIMEOUT.toSeconds()
                    + " s after closing libvirt's connection and the ctx: bridge " + runtime.bridge().stats());
        }
        EventLoopStats loopStats = LoopQuiet.await(runtime.loop(), Duration.ofSeconds(5));
        BridgeStats bridgeStats = runtime.bridge().stats();
        LibxlStats ctxStats = ctx.stats();
        runtime.close();
        checkQuiescence(checker, loopStats, bridgeStats, ctxStats);

        Histogram h = checker.latenessMicros(null);
        return new RaceReport(options, elapsed, registrations.get(), deregistrations.get(),
                checker.firedEvents(), bridgeStats.timeoutsRegistered(), bridgeStats.modifyAsapCalls(),
                bridgeStats.modifyWhileFiring(), bridgeStats.legacyDeregisterCalls(),
                bridgeStats.duplicateDispatches(), ctxStats.staleTimeoutsDiscarded(), checker.reentrancyProbes(),
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue(),
                checker.violations(), checker.samples(), libvirt);
    }

    /**
     * The loop binding: the configured loop, or with several dispatch threads that loop behind a
     * {@link PooledDispatchEventLoop}. The choice is made here, by choosing a module; the modules
     * themselves only bind.
     */
    private static Module loopModule(int dispatchThreads) {
        if (dispatchThreads <= 1) {
            return new EventLoopModule();
        }
        return Modules.override(new EventLoopModule()).with(new PooledLoopModule(dispatchThreads));
    }

    /** Binds {@link EventLoop} to the configured loop behind a pooled, delaying dispatcher. */
    private static final class PooledLoopModule extends AbstractModule {
        private final int dispatchThreads;

        PooledLoopModule(int dispatchThreads) {
            this.dispatchThreads = dispatchThreads;
        }

        @Provides
        @Singleton
        EventLoop pooled(DriverConfig config) {
            return new PooledDispatchEventLoop(config.loop().newLoop(), dispatchThreads, POOL_MAX_DELAY_NANOS);
        }
    }

    private static void checkQuiescence(InvariantChecker checker, EventLoopStats loop, BridgeStats bridge,
                                        LibxlStats ctx) {
        if (loop.liveTimeouts() != 0 || loop.liveHandles() != 0 || loop.pendingFrees() != 0) {
            checker.runnerViolation(Invariant.I4, "loop not empty at quiescence: " + loop);
        }
        if (bridge.liveTimeouts() != 0 || bridge.liveFds() != 0 || checker.liveRegistrations() != 0) {
            checker.runnerViolation(Invariant.I4, "bridge registrations live at quiescence: " + bridge);
        }
        if (ctx.timeoutNexiInUse() != 0 || ctx.fdNexiInUse() != 0 || ctx.registeredTimeEvents() != 0
                || ctx.registeredFdEvents() != 0) {
            checker.runnerViolation(Invariant.I4, "ctx busy at quiescence: " + ctx);
        }
    }

    private void printProgress(long elapsedNanos, DriverRuntime runtime, InvariantChecker checker,
                               LibvirtChurn churn) {
        BridgeStats b = runtime.bridge().stats();
        long v = checker.violations().values().stream().mapToLong(Long::longValue).sum();
        progress.printf("[%3ds] registrations=%d deregistrations=%d modify(ASAP)=%d races=%d stale=%d violations=%d%s%n",
                elapsedNanos / 1_000_000_000L, registrations.get(), deregistrations.get(), b.modifyAsapCalls(),
                b.modifyWhileFiring(), runtime.context().stats().staleTimeoutsDiscarded(), v,
                churn == null ? "" : " libvirt calls=" + churn.operations() + " events=" + churn.eventsReceived());
        progress.flush();
    }
}
