package org.xlbridge.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.OsEventBridge;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.race.Invariant;
import org.xlbridge.race.InvariantChecker;
import org.xlbridge.race.RaceWorker;
import org.xlbridge.time.TimeSource;

/**
 * The libxl race inside a soak: {@link RaceWorker}s on a ctx of their own whose osevent hooks are the
 * bridge behind {@link RefusingHooks} (fault {@link FaultKind#REG_FAIL}), on the soak's loop (the view
 * it is given may throw from callbacks: {@link FaultKind#CALLBACK_THROW}). An {@link InvariantChecker}
 * counts I1–I3 and I5–I8 as {@code xlbridge race} does; {@link #finish()} closes the ctx, lets the bridge
 * drain and adds I4 for what the bridge or the ctx still hold.
 *
 * <p>REG_FAIL costs the worker that registered one registration (counted as a failed operation, with
 * libxl's error); it has recovered when that worker's next registration succeeds.
 *
 * <p>Threads: the workers; the runner calls the rest. Fields written in {@link #start()} are read after it
 * (the runner starts the workload before sampling it); counters are atomics.
 */
final class RaceWorkload implements Workload {
    private static final Logger log = LoggerFactory.getLogger(RaceWorkload.class);
    private static final Duration DRAIN = Duration.ofSeconds(10);

    private final EventLoop loop;
    private final DeregistrationProtocol protocol;
    private final int workers;
    private final long seed;
    private final FaultPlan plan;
    private final FaultLedger ledger;
    private final AtomicLong registrations = new AtomicLong();
    private final AtomicLong deregistrations = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    private volatile InvariantChecker checker;
    private volatile OsEventBridge bridge;
    private volatile LibxlContext ctx;
    private volatile BridgeStats finalBridge;
    private volatile LibxlStats finalCtx;
    private volatile boolean closed;

    /**
     * @param loop     the loop (or a fault-injecting view of it) the bridge registers with
     * @param workers  toolstack threads
     * @param seed     worker i draws from seed + i; the hooks' refusals from their own stream
     */
    RaceWorkload(EventLoop loop, DeregistrationProtocol protocol, int workers, long seed, FaultPlan plan,
                 FaultLedger ledger) {
        if (workers < 1) {
            throw new IllegalArgumentException("race workers must be at least 1, got " + workers);
        }
        this.loop = loop;
        this.protocol = protocol;
        this.workers = workers;
        this.seed = seed;
        this.plan = plan;
        this.ledger = ledger;
    }

    @Override
    public String name() {
        return "race";
    }

    @Override
    public void start() {
        checker = new InvariantChecker(protocol, TimeSource.SYSTEM, 997);
        bridge = new OsEventBridge(loop, checker);
        ctx = LibxlContext.builder()
                .hooks(new RefusingHooks(bridge, plan, ledger, new SplittableRandom(seed ^ 0x5eed_f00dL)))
                .protocol(protocol)
                .loggerName("org.xlbridge.libxl.soak-race")
                .build();
        bridge.attach(ctx);
        checker.attach(ctx);
        for (int i = 0; i < workers; i++) {
            RaceWorker w = new RaceWorker(ctx, checker, new SplittableRandom(seed + i), () -> !stopping,
                    registrations, deregistrations, new Recovery());
            Thread t = new Thread(w, "soak-race-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /**
     * A worker's view of REG_FAIL: a refusal costs one registration; the worker's next success is the
     * recovery from every refusal since its last success.
     */
    private final class Recovery implements RaceWorker.Listener {
        private int refusedSinceSuccess; // confined to the worker's thread

        @Override
        public void registerFailed(LibxlException e) {
            refused.incrementAndGet();
            if (e.error() == LibxlError.OSEVENT_REG_FAIL) {
                ledger.failedOperation(FaultKind.REG_FAIL);
                refusedSinceSuccess++;
                log.debug("registration refused: {}", e.toString());
            } else {
                log.warn("registration failed: {}", e.toString());
            }
        }

        @Override
        public void registered() {
            for (; refusedSinceSuccess > 0; refusedSinceSuccess--) {
                ledger.recovered(FaultKind.REG_FAIL);
            }
        }
    }

    @Override
    public long operations() {
        return registrations.get();
    }

    @Override
    public int bridgeRegistrations() {
        OsEventBridge b = bridge;
        if (b == null) {
            return 0;
        }
        BridgeStats s = b.stats();
        return s.liveTimeouts() + s.liveFds();
    }

    @Override
    public int busyNexi() {
        LibxlContext c = ctx;
        return c == null ? 0 : c.stats().busyNexi();
    }

    @Override
    public long violationsSoFar() {
        InvariantChecker c = checker;
        return c == null ? 0 : c.violations().values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void stop() {
        stopping = true;
    }

    @Override
    public Map<String, Long> finish() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.join(RaceWorker.LIVENESS_BOUND_NANOS / 1_000_000 + 5_000);
            if (t.isAlive()) {
                checker.runnerViolation(Invariant.I5, t.getName() + " did not finish");
            }
        }
        finalCtx = ctx.stats();
        ctx.close();
        if (!bridge.awaitDrained(DRAIN)) {
            checker.runnerViolation(Invariant.I4, "race bridge not drained " + DRAIN.toSeconds()
                    + " s after closing its ctx: " + bridge.stats());
        }
        BridgeStats b = bridge.stats();
        finalBridge = b;
        LibxlStats c = ctx.stats();
        if (b.liveTimeouts() != 0 || b.liveFds() != 0 || checker.liveRegistrations() != 0) {
            checker.runnerViolation(Invariant.I4, "race bridge registrations live at the end: " + b);
        }
        if (c.busyNexi() != 0 || c.registeredTimeEvents() != 0 || c.registeredFdEvents() != 0) {
            checker.runnerViolation(Invariant.I4, "race ctx busy at the end: " + c);
        }
        Map<String, Long> v = new LinkedHashMap<>();
        for (Map.Entry<Invariant, Long> e : checker.violations().entrySet()) {
            if (e.getKey() != Invariant.I9 && e.getKey() != Invariant.I10) {
                v.put(e.getKey().name(), e.getValue());
            }
        }
        for (String s : checker.samples()) {
            log.warn("race: {}", s);
        }
        return v;
    }

    @Override
    public String summary() {
        BridgeStats b = finalBridge != null ? finalBridge : bridge == null ? null : bridge.stats();
        LibxlStats c = finalCtx != null ? finalCtx : ctx == null ? null : ctx.stats();
        return String.format("%d workers: %,d registrations, %,d deregistrations, %,d refused, %,d modify(ASAP),"
                        + " %,d races seen, %,d stale discarded, %,d reentrancy probes", workers, registrations.get(),
                deregistrations.get(), refused.get(), b == null ? 0 : b.modifyAsapCalls(),
                b == null ? 0 : b.modifyWhileFiring(), c == null ? 0 : c.staleTimeoutsDiscarded(),
                checker == null ? 0 : checker.reentrancyProbes());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopping = true;
        LibxlContext c = ctx;
        if (c != null && !c.isClosed()) {
            c.close();
        }
    }
}
