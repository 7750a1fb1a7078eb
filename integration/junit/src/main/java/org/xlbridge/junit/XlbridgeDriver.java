package org.xlbridge.junit;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.util.Modules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.BridgeListener;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.DriverConfigModule;
import org.xlbridge.driver.DriverRuntime;
import org.xlbridge.driver.EventLoopModule;
import org.xlbridge.driver.LibxlDriverModule;
import org.xlbridge.driver.OsEventBridge;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.posix.Posix;
import org.xlbridge.time.TimeSource;

/**
 * One driver under test: the production Guice modules ({@link DriverConfigModule}, {@link EventLoopModule},
 * {@link LibxlDriverModule}) with only the {@link EventLoop} binding overridden to the loop the test asked for
 * (and, on the manual loop, the ctx's clock to its virtual one) and the {@link BridgeListener} binding to the
 * kit's {@link DriverInvariantChecker}; started by {@link DriverRuntime#start()}, as an application starts it.
 * A test method of an {@link XlbridgeDriverTest} receives it as a parameter; after the test the kit
 * quiesces it, checks the invariants and closes it.
 *
 * <p>The driver's loop is the one asked for, seen through a thin observing layer (ids, frees, dispatch
 * threads); nothing the driver does changes. On the manual loop the runtime's loop thread leaves the loop to
 * the test: callbacks run on the thread that calls {@link #advance}, {@link #runDue} or
 * {@link #awaitUntil}. On the other loops they run on the loop's own threads.
 *
 * <p>Thread-safe: the fields are final or volatile; {@link #close()} is idempotent (the runtime's is).
 */
public final class XlbridgeDriver implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(XlbridgeDriver.class);
    /** How long {@link #awaitUntil} waits on a real-time loop; on the manual loop, how much virtual time. */
    public static final Duration AWAIT_BOUND = Duration.ofSeconds(10);
    // awaitUntil on the manual loop gives up after this many passes even if virtual time stands still.
    private static final int MAX_MANUAL_PASSES = 100_000;

    // A loop whose state has not changed for this long, with no free pending, has settled.
    private static final long SETTLED_NANOS = 200_000_000L;

    private final DriverLoop kind;
    private final XlbridgeDriverTest settings;
    private final Injector injector;
    private final DriverRuntime runtime;
    private final DriverInvariantChecker checker;
    private final ObservedEventLoop loop;
    private final ManualEventLoop manual;
    private volatile boolean verified;

    private XlbridgeDriver(DriverLoop kind, XlbridgeDriverTest settings, Injector injector, DriverRuntime runtime,
                           DriverInvariantChecker checker) {
        this.kind = kind;
        this.settings = settings;
        this.injector = injector;
        this.runtime = runtime;
        this.checker = checker;
        this.loop = (ObservedEventLoop) runtime.loop();
        this.manual = kind == DriverLoop.MANUAL ? injector.getInstance(ManualEventLoop.class) : null;
    }

    /**
     * Builds and starts a driver on {@code kind} with the settings of {@code settings} (an
     * {@link XlbridgeDriverTest} annotation) and the test's extra Guice modules.
     */
    static XlbridgeDriver start(DriverLoop kind, XlbridgeDriverTest settings, List<Module> extraModules) {
        DriverInvariantChecker checker = new DriverInvariantChecker(settings.protocol(), settings.livenessBoundMs(),
                settings.reentrancyProbes());
        DriverConfig config = DriverConfig.defaults()
                .withProtocol(settings.protocol())
                .withDrainTimeout(Duration.ofMillis(settings.drainTimeoutMs()));
        Module loopBinding = switch (kind) {
            case MANUAL -> new ManualLoopModule(checker);
            case POOLED -> new PooledLoopModule(checker, settings.dispatchThreads(),
                    settings.poolMaxDelayMicros() * 1_000L);
            case EMBEDDED -> new EmbeddedLoopModule(checker);
        };
        List<Module> libxlOverrides = new ArrayList<>();
        libxlOverrides.add(new ListenerModule(checker));
        if (kind == DriverLoop.MANUAL) {
            libxlOverrides.add(new ManualClockModule());
        }
        List<Module> modules = new ArrayList<>();
        modules.add(new DriverConfigModule(config));
        modules.add(Modules.override(new EventLoopModule()).with(loopBinding));
        modules.add(Modules.override(new LibxlDriverModule()).with(libxlOverrides));
        modules.addAll(extraModules);
        Injector injector = Guice.createInjector(modules);
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class).start();
        checker.attach(runtime.context());
        return new XlbridgeDriver(kind, settings, injector, runtime, checker);
    }

    // ------------------------------------------------------------------------------- Guice bindings

    /** The manual loop, observed; the runtime's loop thread leaves it to the test. */
    private static final class ManualLoopModule extends AbstractModule {
        private final DriverInvariantChecker checker;

        ManualLoopModule(DriverInvariantChecker checker) {
            this.checker = checker;
        }

        @Provides
        @Singleton
        ManualEventLoop manual() {
            return new ManualEventLoop();
        }

        @Provides
        @Singleton
        EventLoop loop(ManualEventLoop manual) {
            return new ObservedEventLoop(manual, checker, true);
        }
    }

    /** The ctx's clock is the manual loop's virtual clock, so deadlines are virtual too. */
    private static final class ManualClockModule extends AbstractModule {
        @Provides
        TimeSource clock(ManualEventLoop manual) {
            return manual.timeSource();
        }
    }

    /** The configured (embedded) loop behind the pooled, delaying dispatcher, observed. */
    private static final class PooledLoopModule extends AbstractModule {
        private final DriverInvariantChecker checker;
        private final int threads;
        private final long maxDelayNanos;

        PooledLoopModule(DriverInvariantChecker checker, int threads, long maxDelayNanos) {
            this.checker = checker;
            this.threads = threads;
            this.maxDelayNanos = maxDelayNanos;
        }

        @Provides
        @Singleton
        EventLoop loop(DriverConfig config) {
            return new ObservedEventLoop(new PooledDispatchEventLoop(config.loop().newLoop(), threads, maxDelayNanos),
                    checker, false);
        }
    }

    /** The configured (embedded) loop, observed. */
    private static final class EmbeddedLoopModule extends AbstractModule {
        private final DriverInvariantChecker checker;

        EmbeddedLoopModule(DriverInvariantChecker checker) {
            this.checker = checker;
        }

        @Provides
        @Singleton
        EventLoop loop(DriverConfig config) {
            return new ObservedEventLoop(config.loop().newLoop(), checker, false);
        }
    }

    /** The bridge reports to the checker (which forwards to the test's own listeners). */
    private static final class ListenerModule extends AbstractModule {
        private final DriverInvariantChecker checker;

        ListenerModule(DriverInvariantChecker checker) {
            this.checker = checker;
        }

        @Override
        protected void configure() {
            bind(BridgeListener.class).toInstance(checker);
        }
    }

    // ------------------------------------------------------------------------------- the test's view

    /** Which loop this driver runs on. */
    public DriverLoop kind() {
        return kind;
    }

    /** The started runtime. */
    public DriverRuntime runtime() {
        return runtime;
    }

    /** The injector the driver was built with (for the test's own bindings). */
    public Injector injector() {
        return injector;
    }

    /** The ctx. */
    public LibxlContext context() {
        return runtime.context();
    }

    /** The bridge. */
    public OsEventBridge bridge() {
        return runtime.bridge();
    }

    /** The driver's loop (observed by the kit). */
    public EventLoop loop() {
        return loop;
    }

    /** The ctx's clock: virtual on the manual loop, the system's monotonic clock otherwise. */
    public TimeSource clock() {
        return context().timeSource();
    }

    /** The checker: add listeners, declare events (I9), track operations (I10). */
    public DriverInvariantChecker checker() {
        return checker;
    }

    /** The manual loop. @throws IllegalStateException on another loop */
    public ManualEventLoop manual() {
        if (manual == null) {
            throw new IllegalStateException("the driver runs on the " + kind.displayName()
                    + " loop, not the manual one: use awaitUntil() for code that runs on every loop");
        }
        return manual;
    }

    /** On the manual loop, moves virtual time by {@code step} (see {@link ManualEventLoop#advance}). */
    public void advance(Duration step) {
        manual().advance(step);
    }

    /** On the manual loop, runs one pass at the current virtual time; on the others, does nothing. */
    public void runDue() {
        if (manual != null) {
            manual.runDue();
        }
    }

    /**
     * On the manual loop, asks poll(2) which live handles' fds are ready now and delivers those events
     * (through {@link ManualEventLoop#fireHandle}); on the others, does nothing (their loop polls).
     *
     * @return how many handles were delivered to
     */
    public int deliverReadyFds() {
        if (manual == null) {
            return 0;
        }
        int delivered = 0;
        for (int watch : manual.liveHandles()) {
            OptionalInt fd = manual.handleFd(watch);
            OptionalInt events = manual.handleEvents(watch);
            if (fd.isEmpty() || events.isEmpty() || events.getAsInt() == 0) {
                continue;
            }
            int ready = HandleEvents.fromPoll(Posix.pollNow(fd.getAsInt(), HandleEvents.toPoll(events.getAsInt())));
            if (ready != 0 && manual.fireHandle(watch, ready)) {
                delivered++;
            }
        }
        return delivered;
    }

    /**
     * Lets the driver run until {@code condition} holds, on any loop. On the manual loop it runs what is due,
     * delivers ready fds ({@link #deliverReadyFds}) and, when nothing else happened, moves virtual time to the
     * next expiry, repeatedly, for at most {@link #AWAIT_BOUND} of virtual time; on the others it polls the
     * condition every millisecond for at most {@link #AWAIT_BOUND}.
     *
     * @throws AssertionError naming {@code what} when the bound passes first
     */
    public void awaitUntil(String what, BooleanSupplier condition) {
        if (manual != null) {
            long end = manual.nanoTime() + AWAIT_BOUND.toNanos();
            for (int pass = 0; !condition.getAsBoolean(); pass++) {
                if (pass == MAX_MANUAL_PASSES) {
                    throw new AssertionError("on the manual loop, waiting for " + what + ": not after " + pass
                            + " passes (an fd that stays ready?)");
                }
                manual.runDue();
                if (deliverReadyFds() > 0 || condition.getAsBoolean()) {
                    continue;
                }
                long now = manual.nanoTime();
                OptionalLong next = manual.nextExpiry();
                if (next.isEmpty() || next.getAsLong() - end > 0) {
                    throw new AssertionError("on the manual loop, waiting for " + what + ": nothing due within "
                            + AWAIT_BOUND + " of virtual time");
                }
                manual.advance(Duration.ofNanos(Math.max(0, next.getAsLong() - now)));
            }
            return;
        }
        long deadline = System.nanoTime() + AWAIT_BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("on the " + kind.displayName() + " loop, waiting for " + what
                        + ": not within " + AWAIT_BOUND);
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }

    // ------------------------------------------------------------------------------- after the test

    /**
     * Quiesces the driver, checks every invariant the kit can check, closes the driver and returns what was
     * violated, formatted (empty when nothing was). Runs once; later calls return an empty list.
     */
    List<String> verifyAndClose() {
        if (verified) {
            return List.of();
        }
        verified = true;
        Duration drain = Duration.ofMillis(settings.drainTimeoutMs());
        List<String> other = new ArrayList<>();
        try {
            checker.checkLiveness();
            if (manual == null) {
                boundedWait(drain, () -> checker.eventsArrived() && checker.operationsCompleted());
            }
            long t0 = System.nanoTime();
            quiesce(drain);
            log.debug("{} loop: quiesced in {} ms", kind.displayName(), (System.nanoTime() - t0) / 1_000_000);
            checkQuiescence();
            LibxlStats ctxStats = context().stats();
            checker.checkContextCounters(ctxStats);
            checker.checkEvents();
            checker.checkOperations();
            if (!settings.allowCallbackFailures()) {
                long loopFailures = checker.callbackFailureCount();
                if (loopFailures > 0) {
                    other.add(loopFailures + " loop callback(s) or free(s) threw: " + checker.callbackFailures());
                }
                if (ctxStats.callbackFailures() > 0) {
                    other.add(ctxStats.callbackFailures() + " libxl event callback(s) threw (the ctx logged and"
                            + " swallowed them; an assertion inside a callback ends up here)");
                }
            }
        } finally {
            long t0 = System.nanoTime();
            runtime.close();
            log.debug("{} loop: closed in {} ms", kind.displayName(), (System.nanoTime() - t0) / 1_000_000);
        }
        BridgeStats b = bridge().stats();
        log.info("{} loop: {} timeouts registered, {} modify(ASAP), {} raced, {} duplicate dispatches, {} probes,"
                        + " max lateness {} µs, {} violation(s)", kind.displayName(), b.timeoutsRegistered(),
                b.modifyAsapCalls(), b.modifyWhileFiring(), b.duplicateDispatches(), checker.reentrancyProbes(),
                checker.maxLatenessNanos() / 1000, checker.violationCount());
        return format(other);
    }

    private void quiesce(Duration drain) {
        checker.closing();
        if (manual != null) {
            // Nothing turns the manual loop but the test: close the ctx and run the passes that fire its ASAP
            // timers into the closed ctx and free the registrations, before the runtime looks.
            context().close();
            for (int i = 0; i < 100 && !(bridge().isDrained() && loop.isQuiet()); i++) {
                manual.runDue();
            }
        }
        runtime.quiesce();
        awaitLoopSettled(drain);
    }

    /**
     * Waits until the loop is quiet, or its state has stopped changing with nothing left in flight (a leak:
     * waiting longer would not help), or {@code bound} passes.
     */
    private void awaitLoopSettled(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        List<Object> last = null;
        long stableSince = System.nanoTime();
        while (!loop.isQuiet() && System.nanoTime() - deadline < 0) {
            EventLoopStats s = loop.stats();
            int inFlight = loop.inner() instanceof PooledDispatchEventLoop p ? p.dispatchesInFlight() : 0;
            List<Object> now = List.of(s.liveTimeouts(), s.liveHandles(), s.pendingFrees(), s.dispatches(), inFlight,
                    loop.liveRegistrations().size());
            if (!now.equals(last)) {
                last = now;
                stableSince = System.nanoTime();
            } else if (s.pendingFrees() == 0 && inFlight == 0 && System.nanoTime() - stableSince > SETTLED_NANOS) {
                return;
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }

    /** I4: nothing live in the loop, the bridge or the ctx. */
    private void checkQuiescence() {
        EventLoopStats l = loop.stats();
        if (l.liveTimeouts() != 0 || l.liveHandles() != 0 || l.pendingFrees() != 0) {
            checker.report(Invariant.I4, "loop at quiescence: " + l.liveTimeouts() + " live timeout(s), "
                    + l.liveHandles() + " live handle(s), " + l.pendingFrees() + " free(s) pending; "
                    + loop.liveRegistrations());
        }
        if (loop.inner() instanceof PooledDispatchEventLoop p && p.dispatchesInFlight() != 0) {
            checker.report(Invariant.I4, p.dispatchesInFlight() + " dispatch(es) still queued on the pool");
        }
        BridgeStats b = bridge().stats();
        if (b.liveTimeouts() != 0 || b.liveFds() != 0) {
            checker.report(Invariant.I4, "bridge at quiescence: " + b.liveTimeouts() + " live timeout and "
                    + b.liveFds() + " live fd registration(s)");
        }
        LibxlStats c = context().stats();
        if (c.busyNexi() != 0 || c.registeredTimeEvents() != 0 || c.registeredFdEvents() != 0) {
            checker.report(Invariant.I4, "ctx at quiescence: " + c.timeoutNexiInUse() + " busy timeout nexi, "
                    + c.fdNexiInUse() + " busy fd nexi, " + c.registeredTimeEvents() + " time and "
                    + c.registeredFdEvents() + " fd event(s) registered");
        }
    }

    private List<String> format(List<String> other) {
        List<String> lines = new ArrayList<>();
        Map<Invariant, Long> counts = checker.counts();
        List<Violation> samples = checker.violations();
        for (Invariant inv : Invariant.values()) {
            long n = counts.get(inv);
            if (n == 0) {
                continue;
            }
            lines.add(inv + " (" + inv.meaning() + "): " + n + " violation(s)");
            samples.stream().filter(v -> v.invariant() == inv)
                    .forEach(v -> lines.add("    - " + v.message() + " [" + v.thread() + "]"));
        }
        for (String o : other) {
            lines.add("callbacks: " + o);
        }
        return lines;
    }

    private static void boundedWait(Duration bound, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(1_000_000L);
        }
    }

    /** Closes the driver without checking (the kit's safety net when a test is aborted). Idempotent. */
    @Override
    public void close() {
        verified = true;
        runtime.close();
    }

    @Override
    public String toString() {
        return "XlbridgeDriver[" + kind.displayName() + ", " + settings.protocol() + "]";
    }
}
