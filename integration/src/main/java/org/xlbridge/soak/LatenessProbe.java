package org.xlbridge.soak;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.time.TimeSource;

/**
 * One periodic timer on the soak's {@link EventLoop} that measures how late the loop runs it: each fire
 * records (time the callback runs − the time it was due) into an HdrHistogram {@link Recorder}, and
 * {@link #intervalP99Micros()} gives the 99th percentile of the fires since the previous call (one sample
 * interval of the soak).
 *
 * <p>"Due" is the previous fire's time + the period (the loop re-arms a periodic timer at now + period
 * when it fires; the first is due at the registration time + the period). The base is read in the
 * callback, a little after the loop read its own clock, so the delay of one fire is counted once, in
 * that fire, and never carried into the next.
 *
 * <p>A loop that stops turning would record nothing and look punctual, so {@link #intervalP99Micros()}
 * also counts how overdue the next fire is at the moment it is asked. And the sampler's own forced GC is
 * not the loop's doing: a fire whose lateness window [due, ran] overlaps a window passed to
 * {@link #excludeFrom(long)}/{@link #excludeUntil(long)} is counted in {@link #excludedFires()} instead of
 * the histogram. (GC pauses caused by the soak's own allocation still count.)
 *
 * <p>{@link #close()} removes the timer ({@code removeTimeout}), so at the end of the soak the loop holds
 * no registration of the probe (I4); {@link #awaitFreed} waits until the loop has run its free callback.
 *
 * <p>Locking: none. The histogram is a {@link Recorder} (written by the loop thread, read by the
 * sampler's); {@link #lastDueBaseNanos} and {@link #exclusion} are volatile, written by the loop thread
 * and the sampler's thread respectively; counters are atomics; {@link #closed} is an atomic flag that
 * makes {@link #close()} idempotent.
 */
public final class LatenessProbe implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LatenessProbe.class);

    /** A window of the sampler's own GC, nanoseconds on the probe's clock; {@code end} Long.MAX_VALUE while open. */
    private record Window(long start, long end) { }

    private static final Window NONE = new Window(Long.MAX_VALUE, Long.MIN_VALUE);

    private final EventLoop loop;
    private final TimeSource clock;
    private final long periodNanos;
    private final int timer;
    /** Written by the loop thread, read by the sampler's thread. */
    private volatile long lastDueBaseNanos;
    /** Written by the sampler's thread, read by the loop thread. */
    private volatile Window exclusion = NONE;
    private final Recorder recorder = new Recorder(3);
    /** The sampler's recycled interval histogram; used only by the thread that calls intervalP99Micros. */
    private Histogram interval;
    private final AtomicLong fires = new AtomicLong();
    private final AtomicLong excluded = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch freed = new CountDownLatch(1);

    private LatenessProbe(EventLoop loop, int periodMs, TimeSource clock) {
        this.loop = loop;
        this.clock = clock;
        this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMs);
        // Read before adding: the loop arms the timer at its own now + period, a moment later, so the
        // first fire's lateness is over-stated by the duration of addTimeout at most.
        this.lastDueBaseNanos = clock.nanoTime();
        this.timer = loop.addTimeout(periodMs, t -> fired(), freed::countDown);
    }

    /**
     * Adds the probe's timer to {@code loop}, firing every {@code periodMs}.
     *
     * @param clock the loop's clock ({@link TimeSource#SYSTEM} for the embedded and libvirt loops)
     * @throws IllegalArgumentException for a null loop or clock or a period &lt; 1 ms
     */
    public static LatenessProbe start(EventLoop loop, int periodMs, TimeSource clock) {
        if (loop == null || clock == null) {
            throw new IllegalArgumentException("lateness probe: null " + (loop == null ? "loop" : "clock"));
        }
        if (periodMs < 1) {
            throw new IllegalArgumentException("lateness probe: period " + periodMs + " ms, expected >= 1");
        }
        return new LatenessProbe(loop, periodMs, clock);
    }

    /** {@link #start(EventLoop, int, TimeSource)} on the system's monotonic clock. */
    public static LatenessProbe start(EventLoop loop, int periodMs) {
        return start(loop, periodMs, TimeSource.SYSTEM);
    }

    private void fired() {
        long now = clock.nanoTime();
        long due = lastDueBaseNanos + periodNanos;
        lastDueBaseNanos = now;
        fires.incrementAndGet();
        Window w = exclusion;
        if (due < w.end && now > w.start) {
            excluded.incrementAndGet();
            return;
        }
        recorder.recordValue(Math.max(0, now - due) / 1000);
    }

    /**
     * The 99th percentile lateness, in µs, of the fires since the previous call (or since the start), or
     * how overdue the next fire is now if that is more (a stalled loop). 0 when nothing was late. Call
     * from one thread (the sampler's).
     */
    public long intervalP99Micros() {
        interval = recorder.getIntervalHistogram(interval);
        long p99 = interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(99.0);
        long overdueMicros = closed.get() ? 0 : (clock.nanoTime() - (lastDueBaseNanos + periodNanos)) / 1000;
        return Math.max(p99, Math.max(0, overdueMicros));
    }

    /** Marks the start of a window (the sampler's forced GC) whose delays are not the loop's; open until {@link #excludeUntil}. */
    public void excludeFrom(long startNanos) {
        exclusion = new Window(startNanos, Long.MAX_VALUE);
    }

    /** Closes the window opened by {@link #excludeFrom}: fires due before {@code endNanos} and run after its start are not recorded. */
    public void excludeUntil(long endNanos) {
        Window w = exclusion;
        exclusion = new Window(w.start == Long.MAX_VALUE ? endNanos : w.start, endNanos);
    }

    /** The probe's clock (the sampler reads its exclusion windows on it). */
    public TimeSource clock() {
        return clock;
    }

    /** Fires so far. */
    public long fires() {
        return fires.get();
    }

    /** Fires left out of the histogram because their delay overlapped an exclusion window. */
    public long excludedFires() {
        return excluded.get();
    }

    /** The loop's id of the probe's timer. */
    public int timerId() {
        return timer;
    }

    /** Removes the timer from the loop; its free callback runs later on the loop thread. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (!loop.removeTimeout(timer)) {
                LOG.warn("lateness probe: the loop no longer knew timer {}", timer);
            }
        }
    }

    /** Waits up to {@code timeout} for the loop to run the timer's free callback; true if it did. */
    public boolean awaitFreed(Duration timeout) throws InterruptedException {
        return freed.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
}
