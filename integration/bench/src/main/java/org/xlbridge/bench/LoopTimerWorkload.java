package org.xlbridge.bench;

import java.util.SplittableRandom;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * N live timers on one {@link EventLoop}, all far in the future, and the two operations
 * {@link TimerBench} times on them: re-basing a random live timer, and adding then removing one more.
 *
 * <p>The loop is not running, the common case of a call from a thread that is not the loop's. A loop
 * that is not iterated never runs the deferred work its API leaves behind (the frees of removed
 * timers), and that work would pile up without bound during a run. So every {@link #REAP_INTERVAL}
 * operations the workload runs one loop iteration on the calling thread when the loop's stats show
 * pending frees. That iteration is part of the measured time, amortised over the operations that caused
 * it: it is the loop's own cost of those operations, paid later.
 *
 * <p>Iterating only when frees are pending matters: with every timer an hour away and nothing pending,
 * an iteration would block until the first timer fires. An update leaves no deferred work on either
 * loop (libvirt's GLib loop destroys and unrefs the replaced source at once; measured: resident memory
 * flat over six million updates at 10,000 timers without one iteration), so the update benchmark never
 * iterates.
 *
 * <p>Not thread-safe: one benchmark thread uses it.
 */
final class LoopTimerWorkload implements AutoCloseable {
    /** Operations between two chances to run the loop's deferred work. */
    static final int REAP_INTERVAL = 1024;

    private static final TimeoutCallback NEVER_FIRES = timer -> {
        throw new IllegalStateException("timer " + timer + " fired; benchmark timers are set one hour ahead");
    };
    /**
     * The free of the add+remove timers. A real one, as the bridge always passes: it makes the removal
     * show in {@code stats().pendingFrees()}, which is what tells the workload to iterate. libvirt keeps
     * a removed timer in its table until an iteration runs the free; without iterations its remove cost
     * grows with every removal not yet freed (measured: 15 us to 170 us per remove over 100,000).
     */
    private static final FreeCallback NO_OP_FREE = () -> { };

    private final EventLoop loop;
    private final int[] ids;
    private final SplittableRandom random = new SplittableRandom(42);
    private int untilReap = REAP_INTERVAL;
    private long reaps;

    /** Adds {@code size} timers with frequencies between one and two hours. */
    LoopTimerWorkload(EventLoop loop, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
        this.loop = loop;
        this.ids = new int[size];
        for (int i = 0; i < size; i++) {
            ids[i] = loop.addTimeout(BenchLoops.farFrequency(random.nextInt()), NEVER_FIRES, null);
        }
        int live = loop.stats().liveTimeouts();
        if (live != size) {
            throw new IllegalStateException("expected " + size + " live timers after the pre-fill, the loop has "
                    + live);
        }
    }

    /** Re-bases a random live timer to a random far frequency; returns the timer's id. */
    int update() {
        int timer = ids[random.nextInt(ids.length)];
        loop.updateTimeout(timer, BenchLoops.farFrequency(random.nextInt()));
        maybeReap();
        return timer;
    }

    /**
     * Makes a random live timer due at once and disables it again: {@code updateTimeout(t, 0)} then
     * {@code updateTimeout(t, -1)}, the two calls libvirt's event queue makes around a flush (and the
     * first is libxl's {@code timeout_modify(ASAP)}). The loop is not running, so nothing fires; timers
     * drift from scheduled to disabled as the benchmark goes on, which leaves both calls' cost as it is
     * on the embedded loop (O(1) in any state). Returns the timer's id.
     */
    int asap() {
        int timer = ids[random.nextInt(ids.length)];
        loop.updateTimeout(timer, 0);
        loop.updateTimeout(timer, -1);
        return timer;
    }

    /** Adds one more far timer and removes it again; returns what {@code removeTimeout} answered. */
    boolean addRemove() {
        int timer = loop.addTimeout(BenchLoops.farFrequency(random.nextInt()), NEVER_FIRES, NO_OP_FREE);
        boolean removed = loop.removeTimeout(timer);
        maybeReap();
        return removed;
    }

    /** How many loop iterations the workload ran to clear deferred work. */
    long reaps() {
        return reaps;
    }

    /** Checks that the timers are still all there and none fired. */
    void verify() {
        var stats = loop.stats();
        if (stats.liveTimeouts() != ids.length || stats.callbackFailures() != 0 || stats.dispatches() != 0) {
            throw new IllegalStateException("benchmark state damaged: " + stats + ", expected " + ids.length
                    + " live timers and no dispatch");
        }
    }

    private void maybeReap() {
        if (--untilReap == 0) {
            untilReap = REAP_INTERVAL;
            if (loop.stats().pendingFrees() > 0) {
                loop.runOnce();
                reaps++;
            }
        }
    }

    @Override
    public void close() {
        loop.close();
    }
}
