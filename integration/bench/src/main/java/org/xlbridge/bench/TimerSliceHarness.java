package org.xlbridge.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The cost of a timer re-base (and of an add+remove pair) on the embedded loop and on
 * {@link ScheduledThreadPoolExecutor}, measured
 * for a machine shared with other work: the operation runs in many short slices (about a millisecond
 * each) and the table gives the cheapest slice and the median slice. On a loaded machine JMH's mean
 * absorbs every descheduling of the benchmark thread; the cheapest slices are those the scheduler left
 * alone, so their cost is the operation's own. It uses only the public {@link EventLoop} API, so the
 * same source compiled against an older build measures that build the same way.
 *
 * <p>Usage: {@code java -cp xlbridge-bench.jar org.xlbridge.bench.TimerSliceHarness [sizes...]}
 * (default 100 100000 1000000).
 *
 * <p>Not thread-safe: one thread does everything.
 */
public final class TimerSliceHarness {
    private static final int SLICES = 400;
    private static final long SLICE_NANOS = 1_000_000;
    private static final long WARMUP_NANOS = 3_000_000_000L;
    private static final int FAR_MS = 3_600_000;

    private TimerSliceHarness() {
    }

    /** Runs the harness; see the class comment. */
    public static void main(String[] args) {
        int[] sizes = args.length == 0 ? new int[] {100, 100_000, 1_000_000}
                : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.println("| live timers | embedded update min ns | median ns | STPE cancel+schedule min ns | median ns "
                + "| STPE / embedded (min) | embedded add+remove pair min ns | median ns |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int size : sizes) {
            double[] embedded = embedded(size, false);
            double[] stpe = stpe(size);
            double[] addRemove = embedded(size, true);
            System.out.printf(Locale.ROOT, "| %,d | %.1f | %.1f | %.1f | %.1f | %.2fx | %.1f | %.1f |%n", size,
                    embedded[0], embedded[1], stpe[0], stpe[1], stpe[0] / embedded[0], addRemove[0], addRemove[1]);
        }
    }

    /**
     * Min and median ns per update (or per add+remove pair: a real free, and a loop iteration to run
     * the frees every 1,024 pairs, as {@code TimerBench} does) over the slices.
     */
    private static double[] embedded(int size, boolean addRemove) {
        EventLoop loop = new PollEventLoop();
        try {
            SplittableRandom random = new SplittableRandom(42);
            int[] ids = new int[size];
            for (int i = 0; i < size; i++) {
                ids[i] = loop.addTimeout(far(random), t -> {
                    throw new IllegalStateException("a far timer fired");
                }, null);
            }
            if (addRemove) {
                return measure(n -> {
                    for (int i = 0; i < n; i++) {
                        int t = loop.addTimeout(far(random), x -> { }, () -> { });
                        loop.removeTimeout(t);
                        if ((i & 1023) == 1023 && loop.stats().pendingFrees() > 0) {
                            loop.runOnce();
                        }
                    }
                    if (loop.stats().pendingFrees() > 0) {
                        loop.runOnce();
                    }
                });
            }
            return measure(n -> {
                for (int i = 0; i < n; i++) {
                    loop.updateTimeout(ids[random.nextInt(size)], far(random));
                }
            });
        } finally {
            loop.close();
        }
    }

    private static double[] stpe(int size) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
        executor.setRemoveOnCancelPolicy(true);
        try {
            SplittableRandom random = new SplittableRandom(42);
            Runnable never = () -> {
                throw new IllegalStateException("a far task ran");
            };
            ScheduledFuture<?>[] tasks = new ScheduledFuture<?>[size];
            for (int i = 0; i < size; i++) {
                tasks[i] = executor.schedule(never, far(random), TimeUnit.MILLISECONDS);
            }
            return measure(n -> {
                for (int i = 0; i < n; i++) {
                    int k = random.nextInt(size);
                    tasks[k].cancel(false);
                    tasks[k] = executor.schedule(never, far(random), TimeUnit.MILLISECONDS);
                }
            });
        } finally {
            executor.shutdownNow();
        }
    }

    /** Warms up, sizes a slice to about {@link #SLICE_NANOS}, then times {@link #SLICES} slices. */
    private static double[] measure(Work work) {
        long end = System.nanoTime() + WARMUP_NANOS;
        int n = 64;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            work.run(n);
            long dt = System.nanoTime() - t0;
            if (dt < SLICE_NANOS / 2) {
                n *= 2;
            }
        }
        double[] perOp = new double[SLICES];
        for (int s = 0; s < SLICES; s++) {
            long t0 = System.nanoTime();
            work.run(n);
            perOp[s] = (System.nanoTime() - t0) / (double) n;
        }
        Arrays.sort(perOp);
        return new double[] {perOp[0], perOp[SLICES / 2]};
    }

    private static int far(SplittableRandom random) {
        return FAR_MS + random.nextInt(FAR_MS);
    }

    /** {@code n} operations. */
    @FunctionalInterface
    private interface Work {
        void run(int n);
    }
}
