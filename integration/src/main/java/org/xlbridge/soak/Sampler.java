package org.xlbridge.soak;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.time.TimeSource;

/**
 * Takes a {@link SoakSample} every {@code --sample} period on a daemon thread of its own, and prints a
 * one-line live progress report after each: redrawn in place (carriage return) on a terminal, one line per
 * sample otherwise (a log file, CI).
 *
 * <p>A sample reads, in this order: the {@link SoakCounters} (operations first, so that operations per
 * second belong to the interval that ends now), the {@link LatenessProbe}'s p99 for the interval since the
 * previous sample and the {@link ControlLateness}'s over the same interval, live threads, open fds, and last the heap after a requested GC (see
 * {@link JvmGauges#SYSTEM}); the forced GC's pause is kept out of the probe's histogram by an exclusion
 * window. Operations per second is the difference of two samples' operations over the difference of
 * their times (the first sample: since {@link #start()}).
 *
 * <p>Without a probe a sample's {@code latenessP99Micros} is -1; off Linux {@code openFds} is -1; the
 * leak verdicts leave such series unchecked.
 *
 * <p>Locking: {@link #sample()} and the sample list are guarded by {@code this} (the sampling thread and
 * a caller of {@link #sample()} may meet, e.g. the runner taking a last sample); the thread and its
 * latch are set once in {@link #start()} under {@code this}; {@link #progressWidth} is touched only under
 * {@code this}.
 */
public final class Sampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sampler.class);

    private final Duration period;
    private final SoakCounters counters;
    private final LatenessProbe probe;
    private final ControlLateness control;
    private final PrintStream progress;
    /** Whether the progress stream is a terminal: then the live line is redrawn in place, else one line each. */
    private final boolean terminal;
    private final Supplier<String> faults;
    private final LongSupplier violations;
    private final TimeSource clock;
    private final JvmGauges gauges;

    /** Guarded by this. */
    private final List<SoakSample> samples = new ArrayList<>();
    /** Guarded by this. */
    private long startNanos;
    /** Guarded by this. */
    private boolean started;
    /** Guarded by this. */
    private long lastNanos;
    /** Guarded by this. */
    private long lastOperations;
    /** Guarded by this: the length of the last progress line, to blank what a shorter one leaves. */
    private int progressWidth;
    /** Guarded by this. */
    private Thread thread;
    private final CountDownLatch stop = new CountDownLatch(1);

    /**
     * @param period     time between samples, at least 10 ms
     * @param counters   the runner's application-level counters
     * @param probe      the lateness probe on the soak's loop, or null (lateness then reads -1)
     * @param progress   where the live line goes (e.g. {@code System.err}), or null for none
     * @param faults     a short description of the faults so far, e.g. {@link #faultsLine(FaultLedger)}
     * @param violations invariant violations seen so far
     * @throws IllegalArgumentException naming a null or bad argument
     */
    public Sampler(Duration period, SoakCounters counters, LatenessProbe probe, PrintStream progress,
            Supplier<String> faults, LongSupplier violations) {
        this(period, counters, probe, null, progress, faults, violations);
    }

    /**
     * As {@link #Sampler(Duration, SoakCounters, LatenessProbe, PrintStream, Supplier, LongSupplier)}, with a
     * control thread whose lateness each sample reads beside the probe's (null: not measured).
     */
    public Sampler(Duration period, SoakCounters counters, LatenessProbe probe, ControlLateness control,
            PrintStream progress, Supplier<String> faults, LongSupplier violations) {
        this(period, counters, probe, control, progress, faults, violations, TimeSource.SYSTEM, JvmGauges.SYSTEM,
                System.console() != null);
    }

    Sampler(Duration period, SoakCounters counters, LatenessProbe probe, PrintStream progress,
            Supplier<String> faults, LongSupplier violations, TimeSource clock, JvmGauges gauges) {
        this(period, counters, probe, null, progress, faults, violations, clock, gauges, true);
    }

    Sampler(Duration period, SoakCounters counters, LatenessProbe probe, ControlLateness control,
            PrintStream progress, Supplier<String> faults, LongSupplier violations, TimeSource clock,
            JvmGauges gauges, boolean terminal) {
        if (period == null || period.toMillis() < 10) {
            throw new IllegalArgumentException("sample period " + period + ": expected at least 10 ms");
        }
        if (counters == null || faults == null || violations == null || clock == null || gauges == null) {
            throw new IllegalArgumentException("sampler: null "
                    + (counters == null ? "counters" : faults == null ? "faults supplier"
                    : violations == null ? "violations supplier" : clock == null ? "clock" : "gauges"));
        }
        this.period = period;
        this.counters = counters;
        this.probe = probe;
        this.control = control;
        this.progress = progress;
        this.terminal = terminal;
        this.faults = faults;
        this.violations = violations;
        this.clock = clock;
        this.gauges = gauges;
    }

    /** Starts the clock now and the sampling thread; the first sample is one period from now. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("sampler already started");
        }
        started = true;
        startNanos = clock.nanoTime();
        lastNanos = startNanos;
        lastOperations = counters.operations();
        thread = new Thread(this::runSampling, "soak-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** Marks the start without a thread: samples are taken only by {@link #sample()} (tests, a runner of its own). */
    synchronized void startWithoutThread() {
        if (started) {
            throw new IllegalStateException("sampler already started");
        }
        started = true;
        startNanos = clock.nanoTime();
        lastNanos = startNanos;
        lastOperations = counters.operations();
    }

    private void runSampling() {
        long periodNanos = period.toNanos();
        long next;
        synchronized (this) {
            next = startNanos + periodNanos;
        }
        try {
            while (!stop.await(Math.max(0, next - clock.nanoTime()), TimeUnit.NANOSECONDS)) {
                try {
                    SoakSample s = sample();
                    printProgress(s);
                } catch (RuntimeException e) {
                    // A counter that throws must not end the sampling of a run that may last hours.
                    LOG.warn("soak sampler: a sample failed", e);
                }
                next += periodNanos;
                long now = clock.nanoTime();
                if (next < now) {
                    // A sample took longer than a period (a long GC): skip the missed slots rather than
                    // taking a burst of samples of near-zero intervals.
                    next = now + periodNanos - ((now - next) % periodNanos);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Takes one sample now, keeps it and returns it. */
    public synchronized SoakSample sample() {
        if (!started) {
            throw new IllegalStateException("sampler not started");
        }
        long now = clock.nanoTime();
        long ops = counters.operations();
        int loopRegs = counters.loopRegistrations();
        int bridgeRegs = counters.bridgeRegistrations();
        int nexi = counters.busyNexi();
        int pending = counters.pendingOperations();
        long lateness = probe == null ? -1 : probe.intervalP99Micros();
        long controlLateness = control == null ? -1 : control.intervalP99Micros();
        int threads = gauges.liveThreads();
        int fds = gauges.openFds();
        long heap;
        if (probe != null) {
            probe.excludeFrom(probe.clock().nanoTime());
            try {
                heap = gauges.heapUsedAfterGc();
            } finally {
                probe.excludeUntil(probe.clock().nanoTime());
            }
        } else {
            heap = gauges.heapUsedAfterGc();
        }
        double seconds = (now - lastNanos) / 1e9;
        double opsPerSecond = seconds > 0 ? (ops - lastOperations) / seconds : 0.0;
        lastNanos = now;
        lastOperations = ops;
        SoakSample s = new SoakSample(TimeUnit.NANOSECONDS.toMillis(now - startNanos), heap, threads, fds, loopRegs,
                bridgeRegs, nexi, pending, lateness, opsPerSecond, ops, controlLateness);
        samples.add(s);
        return s;
    }

    /** The samples so far, oldest first (a copy). */
    public synchronized List<SoakSample> samples() {
        return List.copyOf(samples);
    }

    /**
     * The progress line for {@code s}: elapsed, operations, ops/s, heap MB, fds, threads, registrations
     * (loop/bridge/nexi/pending), lateness p99, faults and violations so far.
     */
    public String progressLine(SoakSample s) {
        long sec = s.elapsedMs() / 1000;
        return String.format(Locale.ROOT,
                "soak %d:%02d:%02d  ops %,d  %,.0f/s  heap %.1f MB  fds %s  threads %d  regs %d/%d/%d/%d  "
                        + "late p99 %s (machine %s)  faults %s  violations %d",
                sec / 3600, (sec / 60) % 60, sec % 60, s.operations(), s.operationsPerSecond(),
                s.heapUsedBytes() / (1024.0 * 1024.0), s.openFds() < 0 ? "?" : Integer.toString(s.openFds()),
                s.liveThreads(), s.loopRegistrations(), s.bridgeRegistrations(), s.busyNexi(),
                s.pendingOperations(),
                s.latenessP99Micros() < 0 ? "?" : String.format(Locale.ROOT, "%.2f ms", s.latenessP99Micros() / 1000.0),
                s.controlLatenessP99Micros() < 0 ? "?"
                        : String.format(Locale.ROOT, "%.2f ms", s.controlLatenessP99Micros() / 1000.0),
                faults.get(), violations.getAsLong());
    }

    private synchronized void printProgress(SoakSample s) {
        if (progress == null) {
            return;
        }
        String line = progressLine(s);
        if (!terminal) {
            // a log file or CI: one line per sample (carriage returns would make the whole run one line)
            progress.println(line);
            progress.flush();
            return;
        }
        int pad = Math.max(0, progressWidth - line.length());
        progress.print('\r' + line + " ".repeat(pad));
        progress.flush();
        progressWidth = line.length();
    }

    /**
     * A short text of a ledger for the progress line: injected and recovered over all kinds, e.g.
     * {@code 41 inj/39 rec/2 cost}.
     */
    public static String faultsLine(FaultLedger ledger) {
        long inj = 0;
        long rec = 0;
        long cost = 0;
        for (FaultLedger.Counts c : ledger.snapshot().values()) {
            inj += c.injected();
            rec += c.recovered();
            cost += c.failedOperations();
        }
        return inj + " inj/" + rec + " rec/" + cost + " cost";
    }

    /**
     * True when this JVM ignores or weakens {@code System.gc()} (-XX:+DisableExplicitGC,
     * -XX:+ExplicitGCInvokesConcurrent): the heap series then holds garbage and is noisier; the report
     * says so.
     */
    public static boolean explicitGcWeakened() {
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.equals("-XX:+DisableExplicitGC") || arg.equals("-XX:+ExplicitGCInvokesConcurrent")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stops the sampling thread (waiting up to two periods plus 10 s for a sample under way) and ends
     * the progress line with a newline. Takes no sample of its own. Idempotent.
     */
    @Override
    public void close() {
        stop.countDown();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(period.multipliedBy(2).plusSeconds(10).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("soak sampler: the sampling thread did not stop in time");
            }
        }
        synchronized (this) {
            if (progress != null && progressWidth > 0) {
                progress.println();
                progress.flush();
                progressWidth = 0;
            }
        }
    }
}
