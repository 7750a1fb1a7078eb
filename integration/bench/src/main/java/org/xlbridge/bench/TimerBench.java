package org.xlbridge.bench;

import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xlbridge.eventloop.EventLoop;

/**
 * Per-operation cost of timer bookkeeping with N live timers, none of which fires during the run:
 * {@code update} re-bases a random live timer to a random frequency of one to two hours; {@code addRemove}
 * adds one timer and removes it again (two operations, timed together); {@code asap} makes a random live
 * timer due at once and disables it again (libxl's {@code timeout_modify(ASAP)}, libvirt's event-queue
 * flush; two operations). The loop is not running.
 *
 * <p>Three groups, each with its own sizes:
 * <ul>
 *   <li>{@link Embedded}: {@code PollEventLoop}, N = 100, 1,000, 10,000, 40,000, 100,000 and 1,000,000
 *       (the libvirt sizes and the larger ones of the specification).</li>
 *   <li>{@link Libvirt}: libvirt's default loop, N = 100 … 40,000 (its timer lookup is a linear scan,
 *       so larger N only measures that scan for longer). Fails at setup with a "SKIPPED: libvirt.so.0 …"
 *       message when libvirt is not installed.</li>
 *   <li>{@link Stpe}: the JDK anchor, a one-thread {@link ScheduledThreadPoolExecutor} with
 *       remove-on-cancel: {@code addRemove} is schedule+cancel, {@code update} is cancel+schedule of a
 *       random live task (an executor has no "re-base").</li>
 * </ul>
 * The timers are added once per fork ({@link Level#Trial}), so pre-filling a million of them is paid once.
 * Six warm-up seconds: with three, the add+remove figures still carried a transient (iterations two
 * to three times slower) that settled about five seconds into each fork.
 */
public class TimerBench {

    private TimerBench() {
    }

    /**
     * The two benchmarks on one {@link EventLoop}; a subclass supplies the loop and the sizes. Its
     * benchmarks are named after the subclass ({@code TimerBench.Embedded.update}, ...).
     */
    @State(Scope.Benchmark)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 6, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
    public abstract static class OnLoop {
        private LoopTimerWorkload workload;

        /** A fresh loop of the subject. */
        abstract EventLoop newLoop();

        /** The live timers of this trial (the subclass's {@code @Param}). */
        abstract int size();

        @Setup(Level.Trial)
        public void setUp() {
            workload = new LoopTimerWorkload(newLoop(), size());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (workload == null) {
                return; // setup failed (no libvirt): JMH has reported why
            }
            try {
                workload.verify();
            } finally {
                workload.close();
            }
        }

        /** Re-base a random live timer. */
        @Benchmark
        public int update() {
            return workload.update();
        }

        /** Add one timer and remove it (two operations). */
        @Benchmark
        public boolean addRemove() {
            return workload.addRemove();
        }

        /** Make a random live timer due at once, then disable it (two operations; no STPE equivalent). */
        @Benchmark
        public int asap() {
            return workload.asap();
        }
    }

    /** {@code PollEventLoop}, the embedded loop. */
    public static class Embedded extends OnLoop {
        /** Live timers. */
        @Param({"100", "1000", "10000", "40000", "100000", "1000000"})
        public int size;

        @Override
        EventLoop newLoop() {
            return BenchLoops.embedded();
        }

        @Override
        int size() {
            return size;
        }
    }

    /** libvirt's default event loop through libvirt-java and JNA. */
    public static class Libvirt extends OnLoop {
        /** Live timers. */
        @Param({"100", "1000", "10000", "40000"})
        public int size;

        @Override
        EventLoop newLoop() {
            return BenchLoops.libvirt();
        }

        @Override
        int size() {
            return size;
        }
    }

    /** The JDK anchor: {@link ScheduledThreadPoolExecutor} with remove-on-cancel. */
    @State(Scope.Benchmark)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 6, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
    public static class Stpe {
        private static final Runnable NEVER_RUNS = () -> {
            throw new IllegalStateException("a benchmark task ran; they are scheduled one hour ahead");
        };

        /** Live tasks. */
        @Param({"100", "1000", "10000", "40000", "100000", "1000000"})
        public int size;

        private ScheduledThreadPoolExecutor executor;
        private ScheduledFuture<?>[] tasks;
        private final SplittableRandom random = new SplittableRandom(42);

        @Setup(Level.Trial)
        public void setUp() {
            executor = new ScheduledThreadPoolExecutor(1);
            executor.setRemoveOnCancelPolicy(true);
            tasks = new ScheduledFuture<?>[size];
            for (int i = 0; i < size; i++) {
                tasks[i] = schedule();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            int queued = executor.getQueue().size();
            long ran = executor.getCompletedTaskCount();
            executor.shutdownNow();
            if (queued != size || ran != 0) {
                throw new IllegalStateException("benchmark state damaged: " + queued + " queued tasks, " + ran
                        + " ran; expected " + size + " queued and none run");
            }
        }

        /** Cancel a random live task and schedule its replacement: the executor's form of a re-base. */
        @Benchmark
        public boolean update() {
            int i = random.nextInt(tasks.length);
            boolean cancelled = tasks[i].cancel(false);
            tasks[i] = schedule();
            return cancelled;
        }

        /** Schedule one task and cancel it (two operations). */
        @Benchmark
        public boolean addRemove() {
            return schedule().cancel(false);
        }

        private ScheduledFuture<?> schedule() {
            return executor.schedule(NEVER_RUNS, BenchLoops.farFrequency(random.nextInt()), TimeUnit.MILLISECONDS);
        }
    }
}
