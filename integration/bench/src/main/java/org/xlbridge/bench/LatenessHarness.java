package org.xlbridge.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;

/**
 * Timer dispatch lateness under load, printed as a Markdown table (not a JMH benchmark: it measures a
 * distribution, not a mean).
 *
 * <p>For each subject (the embedded {@code PollEventLoop}, libvirt's default loop when libvirt.so.0
 * loads, and a one-thread {@link ScheduledThreadPoolExecutor}): {@code --pending} timers (default
 * 100,000) are added one to two hours ahead; the subject's dispatch thread starts; a churn thread
 * re-bases random pending timers as fast as it can; and the main thread adds a short one-shot timer of
 * 1–5 ms every {@code --interval-us} µs (default 200). Each short timer's lateness — dispatch time minus
 * expiry, where expiry = the time just before the add call + its frequency — goes into an HdrHistogram, so
 * time the add call spent waiting (for the loop's lock, say) counts as lateness, as the application
 * sees it; the add call's own duration is reported beside it. After a
 * warm-up ({@code --warmup-seconds}, default 2, not recorded) the run lasts {@code --seconds} (default
 * 10). Short timers that fire early are counted (and recorded as 0); short timers that never fire are
 * reported as missing.
 *
 * <p>GC: after the fill, two full collections settle the pending timers into the old generation, so
 * that young collections during the measurement do not copy them again; the garbage-collector pauses
 * that fall inside the measured window are reported beside the lateness (count, sum, longest), because
 * a pause delays every timer due during it.
 *
 * <p>Usage: {@code java -cp xlbridge-bench.jar org.xlbridge.bench.LatenessHarness [--seconds N]
 * [--warmup-seconds N] [--pending N] [--interval-us N] [--subjects embedded,libvirt,stpe]}
 *
 * <p>Threads and locking: per subject, the dispatch thread (the loop's, or the executor's worker) records
 * into a {@link Recorder} (safe for concurrent writers) and into atomics; the churn thread owns its
 * random generator and the subject's pending-id array after the fill; the main thread owns the rest and
 * reads results only after the other threads were stopped and joined.
 */
public final class LatenessHarness {
    private static final Logger log = LoggerFactory.getLogger(LatenessHarness.class);
    private static final long MAX_TRACKED_NANOS = TimeUnit.SECONDS.toNanos(60);

    private LatenessHarness() {
    }

    /** Runs the harness; see the class comment for the options. */
    public static void main(String[] args) throws InterruptedException {
        Settings settings = Settings.parse(args);
        List<Result> results = new ArrayList<>();
        for (String subject : settings.subjects) {
            switch (subject) {
                case "embedded" -> results.add(measure(new LoopSubject("PollEventLoop (embedded)",
                        BenchLoops.embedded()), settings));
                case "libvirt" -> {
                    if (BenchLoops.libvirtAvailable()) {
                        results.add(measure(new LoopSubject("LibvirtEventLoop", BenchLoops.libvirt()), settings));
                    } else {
                        System.out.println("SKIPPED LibvirtEventLoop: libvirt.so.0 does not load "
                                + "(Debian package libvirt0)");
                    }
                }
                case "stpe" -> results.add(measure(new StpeSubject(), settings));
                default -> throw new IllegalArgumentException("unknown subject " + subject
                        + " (expected embedded, libvirt, stpe)");
            }
        }
        System.out.println();
        System.out.print(table(results, settings));
    }

    private static Result measure(Subject subject, Settings settings) throws InterruptedException {
        System.out.printf(Locale.ROOT, "%s: adding %,d pending timers...%n", subject.name(), settings.pending);
        long fillStart = System.nanoTime();
        subject.addPending(settings.pending, new SplittableRandom(7));
        double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
        settle();
        subject.start();

        ShortTimerStats shorts = new ShortTimerStats();
        AtomicLong churned = new AtomicLong();
        Thread churn = new Thread(() -> {
            SplittableRandom random = new SplittableRandom(11);
            long n = 0;
            while (!Thread.currentThread().isInterrupted()) {
                subject.churnOne(random);
                if ((++n & 255) == 0) {
                    churned.addAndGet(256);
                }
            }
            churned.addAndGet(n & 255);
        }, "lateness-churn");
        churn.setDaemon(true);
        churn.start();

        SplittableRandom random = new SplittableRandom(13);
        long intervalNanos = TimeUnit.MICROSECONDS.toNanos(settings.intervalMicros);
        produce(subject, shorts, random, intervalNanos, TimeUnit.SECONDS.toNanos(settings.warmupSeconds));
        shorts.startMeasuring();
        long churnedFrom = churned.get();
        long start = System.nanoTime();
        GcPauses gc = GcPauses.start();
        long produced = produce(subject, shorts, random, intervalNanos, TimeUnit.SECONDS.toNanos(settings.seconds));
        gc.stop();
        double seconds = (System.nanoTime() - start) / 1e9;
        long churnCount = churned.get() - churnedFrom;

        // Every short timer expires within 5 ms; give stragglers generous time before calling them missing.
        long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (shorts.dispatched.get() < shorts.added.get() && System.nanoTime() < drainDeadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        churn.interrupt();
        churn.join(TimeUnit.SECONDS.toMillis(30));
        String extra = subject.stop();
        Histogram histogram = shorts.recorder.getIntervalHistogram();
        Histogram addCalls = shorts.addCalls.getIntervalHistogram();
        long missing = shorts.added.get() - shorts.dispatched.get();
        Result result = new Result(subject.name(), settings.pending, fillSeconds, churnCount / seconds, produced,
                histogram, addCalls, shorts.early.get(), shorts.maxEarlyNanos.get(), missing, extra, gc.count(),
                gc.totalMillis(), gc.maxMillis());
        System.out.printf(Locale.ROOT, "%s: %,d short timers, p99 %.3f ms, churn %,.0f updates/s, "
                        + "%d GC pauses in the window (%d ms, longest %d ms)%s%n",
                result.name, result.samples, ms(histogram.getValueAtPercentile(99)), result.churnPerSecond,
                gc.count(), gc.totalMillis(), gc.maxMillis(), extra.isEmpty() ? "" : ", " + extra);
        return result;
    }

    /** Adds a short timer every {@code intervalNanos} for {@code durationNanos}; returns how many. */
    private static long produce(Subject subject, ShortTimerStats shorts, SplittableRandom random, long intervalNanos,
            long durationNanos) {
        long end = System.nanoTime() + durationNanos;
        long n = 0;
        while (System.nanoTime() < end) {
            int ms = 1 + random.nextInt(5);
            shorts.added.incrementAndGet();
            long before = System.nanoTime();
            subject.addShort(ms, before + TimeUnit.MILLISECONDS.toNanos(ms), shorts);
            shorts.addCalls.recordValue(Math.min(System.nanoTime() - before, MAX_TRACKED_NANOS));
            n++;
            LockSupport.parkNanos(intervalNanos);
        }
        return n;
    }

    static String table(List<Result> results, Settings settings) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Timer lateness: %,d pending timers, churn thread re-basing random ones "
                        + "continuously, a 1-5 ms one-shot timer every %d us, %d s measured after %d s warm-up.%n%n",
                settings.pending, settings.intervalMicros, settings.seconds, settings.warmupSeconds));
        out.append("| subject | fill s | churn updates/s | short timers | p50 ms | p99 ms | p99.9 ms | max ms "
                + "| early | missing | p99 / embedded p99 | add call p99 ms | GC pauses | GC ms | longest GC ms |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        Double embeddedP99 = null;
        for (Result r : results) {
            if (r.name.startsWith("PollEventLoop")) {
                embeddedP99 = ms(r.histogram.getValueAtPercentile(99));
            }
        }
        for (Result r : results) {
            Histogram h = r.histogram;
            double p99 = ms(h.getValueAtPercentile(99));
            String ratio = embeddedP99 == null || embeddedP99 == 0 ? "n/a"
                    : String.format(Locale.ROOT, "%.2fx", p99 / embeddedP99);
            out.append(String.format(Locale.ROOT, "| %s | %.2f | %,.0f | %,d | %.3f | %.3f | %.3f | %.3f | %d | %d | %s "
                    + "| %.3f | %d | %d | %d |%n", r.name, r.fillSeconds, r.churnPerSecond, h.getTotalCount(),
                    ms(h.getValueAtPercentile(50)), p99, ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), r.early,
                    r.missing, ratio, ms(r.addCalls.getValueAtPercentile(99)), r.gcPauses, r.gcMillis, r.gcMaxMillis));
        }
        out.append('\n');
        for (Result r : results) {
            if (r.early > 0) {
                out.append(String.format(Locale.ROOT, "%s fired %d short timers early, by up to %.3f ms.%n", r.name,
                        r.early, ms(r.maxEarlyNanos)));
            }
            if (!r.extra.isEmpty()) {
                out.append(r.name).append(": ").append(r.extra).append('\n');
            }
        }
        if (embeddedP99 != null) {
            out.append(String.format(Locale.ROOT, "Target: embedded loop p99 <= 1 ms: %s (p99 = %.3f ms).%n",
                    embeddedP99 <= 1.0 ? "MET" : "MISSED", embeddedP99));
        }
        return out.toString();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** Two full collections, so that the filled timers are in the old generation before measuring. */
    private static void settle() {
        System.gc();
        System.gc();
    }

    /**
     * The garbage-collector pauses (every collection the JVM reports, with its duration) between
     * {@link #start()} and {@link #stop()}. Thread-safe: the JVM's notification thread adds, the main
     * thread reads after stop().
     */
    static final class GcPauses {
        private final AtomicBoolean recording = new AtomicBoolean(true);
        private final AtomicLong count = new AtomicLong();
        private final AtomicLong totalMillis = new AtomicLong();
        private final AtomicLong maxMillis = new AtomicLong();
        private final List<NotificationEmitter> emitters = new ArrayList<>();
        private final NotificationListener listener = (notification, handback) -> {
            if (!recording.get() || !GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION
                    .equals(notification.getType())) {
                return;
            }
            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                    (CompositeData) notification.getUserData());
            long duration = info.getGcInfo().getDuration();
            count.incrementAndGet();
            totalMillis.addAndGet(duration);
            maxMillis.accumulateAndGet(duration, Math::max);
        };

        static GcPauses start() {
            GcPauses p = new GcPauses();
            for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (bean instanceof NotificationEmitter emitter) {
                    emitter.addNotificationListener(p.listener, null, null);
                    p.emitters.add(emitter);
                }
            }
            return p;
        }

        void stop() {
            recording.set(false);
            for (NotificationEmitter emitter : emitters) {
                try {
                    emitter.removeNotificationListener(listener);
                } catch (javax.management.ListenerNotFoundException e) {
                    log.debug("GC listener already gone", e);
                }
            }
        }

        long count() {
            return count.get();
        }

        long totalMillis() {
            return totalMillis.get();
        }

        long maxMillis() {
            return maxMillis.get();
        }
    }

    /** What the short timers saw. Written by the dispatch thread; all atomics or the thread-safe recorder. */
    static final class ShortTimerStats {
        final Recorder recorder = new Recorder(MAX_TRACKED_NANOS, 3);
        /** How long the add call of each short timer took (it may wait for the loop's lock). */
        final Recorder addCalls = new Recorder(MAX_TRACKED_NANOS, 3);
        final AtomicLong added = new AtomicLong();
        final AtomicLong dispatched = new AtomicLong();
        final AtomicLong early = new AtomicLong();
        final AtomicLong maxEarlyNanos = new AtomicLong();

        /** Records one dispatch {@code lateNanos} after its expiry (negative: early). */
        void record(long lateNanos) {
            if (lateNanos < 0) {
                early.incrementAndGet();
                maxEarlyNanos.accumulateAndGet(-lateNanos, Math::max);
                lateNanos = 0;
            }
            recorder.recordValue(Math.min(lateNanos, MAX_TRACKED_NANOS));
            dispatched.incrementAndGet();
        }

        /** Forgets what the warm-up recorded (dispatch counts are kept: they find missing timers). */
        void startMeasuring() {
            recorder.reset();
            addCalls.reset();
            early.set(0);
            maxEarlyNanos.set(0);
        }
    }

    /** A timer implementation under test. */
    interface Subject {
        String name();

        /** Adds {@code n} timers one to two hours ahead, before the dispatch thread starts. */
        void addPending(int n, SplittableRandom random);

        /** Starts the dispatch thread. */
        void start();

        /** Re-bases one random pending timer (called by the churn thread only). */
        void churnOne(SplittableRandom random);

        /** Adds a one-shot timer of {@code ms} that records its lateness against {@code expiryNanos}. */
        void addShort(int ms, long expiryNanos, ShortTimerStats stats);

        /** Stops and releases everything; returns a remark for the report (may be empty). */
        String stop() throws InterruptedException;
    }

    /** An {@link EventLoop} run by {@code run()} on its own thread. */
    static final class LoopSubject implements Subject {
        private final String name;
        private final EventLoop loop;
        // Written by the main thread before the churn thread starts (Thread.start orders it).
        private int[] pending = new int[0];
        private Thread runner;

        LoopSubject(String name, EventLoop loop) {
            this.name = name;
            this.loop = loop;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void addPending(int n, SplittableRandom random) {
            pending = new int[n];
            for (int i = 0; i < n; i++) {
                pending[i] = loop.addTimeout(BenchLoops.farFrequency(random.nextInt()), timer -> {
                    throw new IllegalStateException("a pending timer fired: " + timer);
                }, null);
            }
        }

        @Override
        public void start() {
            runner = new Thread(loop::run, "lateness-loop");
            runner.start();
        }

        @Override
        public void churnOne(SplittableRandom random) {
            loop.updateTimeout(pending[random.nextInt(pending.length)], BenchLoops.farFrequency(random.nextInt()));
        }

        @Override
        public void addShort(int ms, long expiryNanos, ShortTimerStats stats) {
            loop.addTimeout(ms, timer -> {
                stats.record(System.nanoTime() - expiryNanos);
                loop.removeTimeout(timer);
            }, null);
        }

        @Override
        public String stop() throws InterruptedException {
            loop.stop();
            runner.join(TimeUnit.SECONDS.toMillis(30));
            var stats = loop.stats();
            loop.close();
            if (stats.callbackFailures() != 0) {
                log.warn("{}: {} callbacks failed", name, stats.callbackFailures());
            }
            return String.format(Locale.ROOT, "loop's own max lateness %.3f ms, %d callback failures",
                    ms(stats.maxLatenessNanos()), stats.callbackFailures());
        }
    }

    /** A one-thread {@link ScheduledThreadPoolExecutor} with remove-on-cancel. */
    static final class StpeSubject implements Subject {
        private static final Runnable NEVER_RUNS = () -> {
            throw new IllegalStateException("a pending task ran");
        };
        private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
        // Written by the main thread before the churn thread starts, then by the churn thread only.
        private ScheduledFuture<?>[] pending = new ScheduledFuture<?>[0];

        StpeSubject() {
            executor.setRemoveOnCancelPolicy(true);
        }

        @Override
        public String name() {
            return "ScheduledThreadPoolExecutor";
        }

        @Override
        public void addPending(int n, SplittableRandom random) {
            pending = new ScheduledFuture<?>[n];
            for (int i = 0; i < n; i++) {
                pending[i] = executor.schedule(NEVER_RUNS, BenchLoops.farFrequency(random.nextInt()),
                        TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void start() {
            executor.prestartAllCoreThreads();
        }

        @Override
        public void churnOne(SplittableRandom random) {
            int i = random.nextInt(pending.length);
            pending[i].cancel(false);
            pending[i] = executor.schedule(NEVER_RUNS, BenchLoops.farFrequency(random.nextInt()), TimeUnit.MILLISECONDS);
        }

        @Override
        public void addShort(int ms, long expiryNanos, ShortTimerStats stats) {
            executor.schedule(() -> stats.record(System.nanoTime() - expiryNanos), ms, TimeUnit.MILLISECONDS);
        }

        @Override
        public String stop() throws InterruptedException {
            executor.shutdownNow();
            executor.awaitTermination(30, TimeUnit.SECONDS);
            return "";
        }
    }

    record Result(String name, int pending, double fillSeconds, double churnPerSecond, long samples,
            Histogram histogram, Histogram addCalls, long early, long maxEarlyNanos, long missing, String extra,
            long gcPauses, long gcMillis, long gcMaxMillis) {
    }

    /** Command-line settings. */
    static final class Settings {
        int seconds = 10;
        int warmupSeconds = 2;
        int pending = 100_000;
        int intervalMicros = 200;
        List<String> subjects = List.of("embedded", "libvirt", "stpe");

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value;
                int eq = arg.indexOf('=');
                if (eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException("option " + arg + " needs a value");
                }
                switch (arg) {
                    case "--seconds" -> s.seconds = positive(arg, value);
                    case "--warmup-seconds" -> s.warmupSeconds = Integer.parseInt(value);
                    case "--pending" -> s.pending = positive(arg, value);
                    case "--interval-us" -> s.intervalMicros = positive(arg, value);
                    case "--subjects" -> s.subjects = List.of(value.split(","));
                    default -> throw new IllegalArgumentException("unknown option " + arg
                            + " (expected --seconds, --warmup-seconds, --pending, --interval-us, --subjects)");
                }
            }
            return s;
        }

        private static int positive(String option, String value) {
            int n = Integer.parseInt(value);
            if (n <= 0) {
                throw new IllegalArgumentException(option + " must be positive: " + value);
            }
            return n;
        }
    }
}
