package org.xlbridge.soak;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.xlbridge.time.TimeSource;

/**
 * The machine's own noise, measured beside the loop's lateness: a thread of its own that parks for a period
 * and records how much later than asked it woke up. It runs no callback and takes no lock, so what it sees
 * is the scheduler, other processes and the JVM's pauses (GC safepoints stop it as they stop the loop): the
 * part of a timer's lateness that no event loop could avoid. The soak judges the loop by its lateness minus
 * this ({@link LeakSeries#LOOP_LATENESS_P99}), so a loaded machine does not read as a degrading loop.
 *
 * <p>{@link #intervalP99Micros()} gives the 99th percentile of the wake-ups since its previous call, or how
 * overdue the current park is if that is more (a thread not run at all is the worst noise).
 *
 * <p>Locking: none. The histogram is a {@link Recorder} (written by the control thread, read by the
 * sampler's); {@link #parkedSince} is volatile, written by the control thread; {@link #running} is volatile,
 * written by {@link #close()}.
 */
public final class ControlLateness implements AutoCloseable {
    private final TimeSource clock;
    private final long periodNanos;
    private final Recorder recorder = new Recorder(3);
    private final Thread thread;
    /** When the current park began; written by the control thread. */
    private volatile long parkedSince;
    private volatile boolean running = true;
    /** The sampler's recycled interval histogram; used only by the thread that calls intervalP99Micros. */
    private Histogram interval;

    private ControlLateness(Duration period, TimeSource clock) {
        this.clock = clock;
        this.periodNanos = period.toNanos();
        this.parkedSince = clock.nanoTime();
        this.thread = new Thread(this::run, "lateness-control");
        thread.setDaemon(true);
    }

    /**
     * Starts the control thread, parking {@code period} at a time (the lateness probe's period, so both see
     * the same kind of wait).
     *
     * @throws IllegalArgumentException for a null or non-positive period or a null clock
     */
    public static ControlLateness start(Duration period, TimeSource clock) {
        if (period == null || period.isZero() || period.isNegative() || clock == null) {
            throw new IllegalArgumentException("control lateness: period " + period + " and clock " + clock
                    + ": a positive period and a clock are required");
        }
        ControlLateness c = new ControlLateness(period, clock);
        c.thread.start();
        return c;
    }

    private void run() {
        // The first park began when the probe was made, not when this thread got to run: a thread that is
        // started late is itself the machine's noise.
        long start = parkedSince;
        while (running) {
            long deadline = start + periodNanos;
            long now;
            // parkNanos may return early (spurious wake-up): park again for what is left
            while ((now = clock.nanoTime()) - deadline < 0 && running) {
                LockSupport.parkNanos(deadline - now);
            }
            recorder.recordValue(Math.max(0, now - deadline) / 1000);
            start = now;
            parkedSince = now;
        }
    }

    /**
     * The 99th percentile of the control thread's wake-up lateness, µs, since the previous call, or how
     * overdue its current park is if that is more. Call from one thread (the sampler's).
     */
    public long intervalP99Micros() {
        interval = recorder.getIntervalHistogram(interval);
        long p99 = interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(99.0);
        long overdue = running ? (clock.nanoTime() - parkedSince - periodNanos) / 1000 : 0;
        return Math.max(p99, Math.max(0, overdue));
    }

    /** Stops the control thread and waits for it (bounded). Idempotent. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
