package org.xlbridge.soak;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.host.IdAuditLoop;
import org.xlbridge.ids.IdAllocator;
import org.xlbridge.xen.SimHost;
import org.xlbridge.libvirtd.PrivateLibvirtd;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.race.LoopQuiet;

/**
 * Runs {@code xlbridge soak}: the libxl race ({@link RaceWorkload}), the xl driver's management clients
 * ({@link XlWorkload}) and libvirt-java clients ({@link LibvirtWorkload}) together on one loop, with the
 * faults of the {@link FaultPlan}, sampled every {@code --sample} ({@link Sampler}) until the duration has
 * passed or the operations are done. Then, in libvirt's order with the loop still turning, every workload
 * stops, settles and closes (its own invariant checks), the loop is checked empty (I4) and its ids unique
 * (I8); the loop stops; the small-heap child runs ({@link SmallHeapRun}); the samples are judged for
 * leaks ({@link LeakVerdict}) and plotted ({@link SoakPlots}).
 *
 * <p>This is the soak's composition root: it makes the loop and decides which view of it each part gets.
 * libvirt gets the audited loop itself (registered as its event implementation, so libvirt's ids are
 * audited too); the race and the xl driver get {@link ThrowingCallbacksLoop} views (fault
 * {@link FaultKind#CALLBACK_THROW}), each with its own random stream.
 *
 * <p>Threads: {@link #run()} on the caller's thread; the loop on "xlbridge-loop"; the workloads' own; the
 * sampler's. They share only the workloads' and the ledger's thread-safe methods.
 */
public final class SoakRunner {
    private static final Logger log = LoggerFactory.getLogger(SoakRunner.class);
    private static final long JOIN_MS = 15_000;
    private static final int PROBE_PERIOD_MS = 5;

    private final SoakOptions options;
    private final PrintStream out;
    /** Extra workloads (tests): made on the audited loop after the soak's own. Confined to the caller. */
    private final List<Function<EventLoop, Workload>> extra = new ArrayList<>();

    /**
     * @param out where the progress line goes (null: none)
     */
    public SoakRunner(SoakOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Adds a workload made on the soak's loop, beside the soak's own (a test's leak, say). Call before {@link #run()}. */
    void addWorkload(Function<EventLoop, Workload> factory) {
        extra.add(factory);
    }

    /**
     * Runs the soak and returns its report.
     *
     * @throws IllegalStateException when it cannot start (libvirt's event implementation already taken,
     *                               the private libvirtd cannot start); nothing is left running then
     */
    public SoakReport run() throws InterruptedException {
        // Wrap mode: the id seam is read when the loops and simulated hosts are made, all of them below.
        Map<String, String> seam = new LinkedHashMap<>();
        if (options.idSpace() > 0) {
            seam.put(IdAllocator.LAST_PROPERTY, Integer.toString(options.idSpace()));
            seam.put(IdAllocator.LAST_PROPERTY + ".watch", Integer.toString(watchSpace(options.idSpace())));
            seam.put(IdAllocator.LAST_PROPERTY + ".domid", Integer.toString(domidSpace(options)));
        }
        Map<String, String> before = new LinkedHashMap<>();
        seam.forEach((k, v) -> {
            before.put(k, System.getProperty(k));
            System.setProperty(k, v);
        });
        try {
            return runWithSeam();
        } finally {
            before.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }

    /**
     * Wrap mode's watch id space: handles come and go far more rarely than timers (a few a minute), so
     * their space is a sixteenth of the timers' (at least 256) and the id churn drives them round it.
     */
    static int watchSpace(int idSpace) {
        return Math.max(256, idSpace / 16);
    }

    /**
     * Wrap mode's domid space: room for every simulated domain live at once and a quarter of the space in
     * quarantine (four times the domains, at least 256), at most the id space and Xen's 32,751.
     */
    static int domidSpace(SoakOptions options) {
        return Math.min(Math.min(options.idSpace(), SimHost.LAST_DOMID), Math.max(256, 4 * options.xlDomains()));
    }

    private SoakReport runWithSeam() throws InterruptedException {
        FaultLedger ledger = new FaultLedger();
        FaultPlan plan = options.faults();
        long seed = options.seed();
        List<String> notes = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Map<String, Long> violations = SoakReport.noViolations();

        IdAuditLoop loop = new IdAuditLoop(options.loop().newLoop());
        if (options.libvirtClientsRun() && !(loop.inner() instanceof LibvirtEventLoop)) {
            // before the first connection, as libvirt requires
            try {
                LibvirtEventImpl.register(loop);
            } catch (RuntimeException e) {
                loop.close();
                throw new IllegalStateException("cannot make the loop libvirt's event implementation: "
                        + e.getMessage(), e);
            }
        }
        Thread loopThread = new Thread(loop::run, "xlbridge-loop");
        loopThread.setDaemon(true);
        loopThread.start();

        PrivateLibvirtd daemon = null;
        List<Workload> workloads = new ArrayList<>();
        Sampler sampler = null;
        LatenessProbe lateness = null;
        ControlLateness control = null;
        long start = System.nanoTime();
        try {
            if (options.libvirtClientsRun()) {
                if (options.libvirt().equals(SoakOptions.DAEMON)) {
                    daemon = startDaemon();
                    workloads.add(new LibvirtWorkload(loopThread, plan, ledger, seed, options.libvirtClients(), daemon));
                } else {
                    workloads.add(new LibvirtWorkload(loopThread, plan, ledger, seed, options.libvirtClients(),
                            options.libvirt()));
                }
            }
            if (options.xlClients() > 0) {
                workloads.add(new XlWorkload(new ThrowingCallbacksLoop(loop, plan, ledger,
                        new SplittableRandom(seed * 31 + 2)), loopThread, options.protocol(), plan, ledger, seed,
                        options.xlDomains(), options.xlClients()));
            }
            if (options.raceWorkers() > 0) {
                workloads.add(new RaceWorkload(new ThrowingCallbacksLoop(loop, plan, ledger,
                        new SplittableRandom(seed * 31 + 1)), options.protocol(), options.raceWorkers(), seed, plan,
                        ledger));
            }
            if (options.idSpace() > 0) {
                workloads.add(new IdChurnWorkload(loop));
            }
            for (Function<EventLoop, Workload> f : extra) {
                workloads.add(f.apply(loop));
            }
            for (Workload w : workloads) {
                w.start();
            }
            lateness = LatenessProbe.start(loop, PROBE_PERIOD_MS);
            control = ControlLateness.start(Duration.ofMillis(PROBE_PERIOD_MS), lateness.clock());
            List<Workload> all = List.copyOf(workloads);
            sampler = new Sampler(options.sample(), new Counters(loop, all), lateness, control, out,
                    () -> Sampler.faultsLine(ledger),
                    () -> all.stream().mapToLong(Workload::violationsSoFar).sum() + loop.reusedIds());
            start = System.nanoTime();
            sampler.start();
            awaitEnd(start, all);
        } catch (Exception e) {
            // could not start: undo what was made, in libvirt's order, and say why
            for (Workload w : workloads) {
                w.stop();
            }
            if (sampler != null) {
                sampler.close();
            }
            for (Workload w : workloads) {
                closeQuietly(w);
            }
            if (lateness != null) {
                lateness.close();
            }
            if (control != null) {
                control.close();
            }
            stopLoop(loop, loopThread);
            if (daemon != null) {
                daemon.close();
            }
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            throw new IllegalStateException("soak could not start: " + e.getMessage(), e);
        }
        // The samples cover the load only: the sampler stops before the workloads wind down.
        sampler.close();
        control.close();
        long durationMs = (System.nanoTime() - start) / 1_000_000;
        for (Workload w : workloads) {
            w.stop();
        }
        List<SoakReport.WorkloadSummary> summaries = new ArrayList<>();
        SoakReport.Wraps wraps = SoakReport.Wraps.NONE;
        long operations = 0;
        EventLoopStats quiet;
        try {
            for (Workload w : workloads) {
                Map<String, Long> v = w.finish();
                v.forEach((k, n) -> violations.merge(k, n, Long::sum));
            }
            for (Workload w : workloads) {
                closeQuietly(w);
                summaries.add(SoakReport.WorkloadSummary.of(w));
                operations += w.operations();
            }
            lateness.close();
            if (!lateness.awaitFreed(Duration.ofSeconds(5))) {
                notes.add("the lateness probe's timer was not freed within 5 s");
            }
            quiet = LoopQuiet.await(loop, Duration.ofSeconds(10));
            if (!LoopQuiet.isQuiet(quiet)) {
                violations.merge("I4", (long) quiet.liveTimeouts() + quiet.liveHandles() + quiet.pendingFrees(),
                        Long::sum);
                notes.add("the loop still held registrations after every workload closed: " + quiet);
            }
            violations.merge("I8", loop.reusedIds(), Long::sum);
            if (loop.reusedIds() > 0) {
                notes.add("I8: " + loop.lastReuse());
            }
            wraps = countWraps(loop, workloads);
        } finally {
            // whatever happened above, nothing is left running: workloads (idempotent), loop, daemon
            for (Workload w : workloads) {
                closeQuietly(w);
            }
            stopLoop(loop, loopThread);
            if (daemon != null) {
                notes.add("private libvirtd restarted " + daemon.restarts() + " times");
                daemon.close();
            }
        }
        long callbackFailures = quiet.callbackFailures();
        notes.add(String.format("the loop dispatched %,d callbacks, %,d of which threw (injected: %,d)",
                quiet.dispatches(), callbackFailures, ledger.counts(FaultKind.CALLBACK_THROW).injected()));
        if (Sampler.explicitGcWeakened()) {
            notes.add("System.gc() may not run a full collection in this JVM (-XX:+DisableExplicitGC or"
                    + " ExplicitGCInvokesConcurrent): 'heap after GC' is then only heap used");
        }

        if (plan.enabled(FaultKind.SMALL_HEAP)) {
            ledger.injected(FaultKind.SMALL_HEAP);
            SmallHeapRun.Outcome child = new SmallHeapRun(options, options.workDir()).run();
            if (child.passed()) {
                ledger.recovered(FaultKind.SMALL_HEAP);
                notes.add(String.format("small heap (%s): a %,d ms soak with %,d operations passed; report %s",
                        SmallHeapRun.HEAP, child.durationMs(), child.operations(), child.json()));
            } else {
                failures.add("small-heap run failed: " + (child.problem() != null ? child.problem()
                        : "result " + child.result()));
            }
        }

        List<SoakSample> samples = sampler.samples();
        List<LeakVerdict> verdicts = LeakVerdict.judge(samples, options.warmup());
        SoakReport report = SoakReport.of(settings(), durationMs, operations, violations, ledger, plan, verdicts,
                samples, summaries, List.of(), notes).withWraps(wraps);
        for (String f : failures) {
            report = report.withFailure(f);
        }
        if (options.plots() != null && !samples.isEmpty()) {
            try {
                report = report.withPlots(SoakPlots.write(samples, options.plots(), title(),
                        options.warmup().toMillis(), verdicts));
            } catch (IOException e) {
                report = report.withFailure("plots not written: " + e.getMessage());
            }
        }
        return report;
    }

    /** How often each int id counter wrapped: the loop's timer and watch ids, and the workloads' own. */
    private static SoakReport.Wraps countWraps(IdAuditLoop loop, List<Workload> workloads) {
        Map<String, Long> wraps = new LinkedHashMap<>();
        wraps.put("timerIds", loop.timerIdWraps());
        wraps.put("watchIds", loop.watchIdWraps());
        for (Workload w : workloads) {
            w.counterWraps().forEach((k, n) -> wraps.merge(k, n, Long::sum));
        }
        Map<String, Long> handedOut = new LinkedHashMap<>();
        handedOut.put("timerIds", loop.timerIdsHandedOut());
        handedOut.put("watchIds", loop.watchIdsHandedOut());
        Map<String, Long> spaces = new LinkedHashMap<>();
        spaces.put("timerIds", (long) IdAllocator.configuredLastId("timer"));
        spaces.put("watchIds", (long) IdAllocator.configuredLastId("watch"));
        spaces.put("domids", (long) Math.min(SimHost.LAST_DOMID, IdAllocator.configuredLastId("domid")));
        return new SoakReport.Wraps(spaces, wraps, handedOut);
    }

    private PrivateLibvirtd startDaemon() throws IOException {
        if (!PrivateLibvirtd.isInstalled()) {
            throw new IllegalStateException(PrivateLibvirtd.MISSING + " (or run with --libvirt test:///default"
                    + " --faults libvirtd-restart=off, or --libvirt none)");
        }
        return PrivateLibvirtd.start(options.workDir());
    }

    private SoakReport.Settings settings() {
        return new SoakReport.Settings(options.loop().cliName(),
                options.protocol() == DeregistrationProtocol.ASAP_MODIFY ? "asap-modify" : "legacy", options.seed(),
                options.faults().spec(), options.duration(), options.operations(), options.sample(),
                options.warmup());
    }

    private String title() {
        return options.loop().cliName() + " loop, seed " + options.seed();
    }

    private void awaitEnd(long start, List<Workload> workloads) throws InterruptedException {
        long end = options.duration() == null ? Long.MAX_VALUE : start + options.duration().toNanos();
        while (System.nanoTime() < end) {
            if (options.operations() > 0 && operations(workloads) >= options.operations()) {
                return;
            }
            Thread.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    static long operations(List<Workload> workloads) {
        long n = 0;
        for (Workload w : workloads) {
            n += w.operations();
        }
        return n;
    }

    private static void closeQuietly(Workload w) {
        try {
            w.close();
        } catch (RuntimeException e) {
            log.warn("closing workload {} failed", w.name(), e);
        }
    }

    private static void stopLoop(IdAuditLoop loop, Thread loopThread) throws InterruptedException {
        loop.stop();
        loopThread.join(JOIN_MS);
        if (loopThread.isAlive()) {
            log.warn("loop thread still running {} ms after stop()", JOIN_MS);
        }
        loop.close();
    }

    /** The app-level counters the sampler reads: the loop's and the workloads' own. */
    private record Counters(IdAuditLoop loop, List<Workload> workloads) implements SoakCounters {
        @Override
        public int loopRegistrations() {
            EventLoopStats s = loop.stats();
            return s.liveTimeouts() + s.liveHandles();
        }

        @Override
        public int bridgeRegistrations() {
            return workloads.stream().mapToInt(Workload::bridgeRegistrations).sum();
        }

        @Override
        public int busyNexi() {
            return workloads.stream().mapToInt(Workload::busyNexi).sum();
        }

        @Override
        public int pendingOperations() {
            return workloads.stream().mapToInt(Workload::pendingOperations).sum();
        }

        @Override
        public long operations() {
            return SoakRunner.operations(workloads);
        }
    }
}
