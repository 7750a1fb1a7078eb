package org.xlbridge.soak;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.posix.Posix;

/**
 * Wrap mode's id churn ({@code xlbridge soak --id-space N}): the real workloads add handles a few times a
 * minute, far too rarely to take a watch id counter round even a small space in a bounded run, so this
 * thread adds a handle (the read end of a pipe nobody writes: it never fires) and a disabled timer and
 * removes both, every 2 ms, on the soak's audited loop. Ids of every kind then wrap many
 * times while the other workloads hold theirs live across the wraps, and the loop's I8 audit judges every
 * one. It checks nothing itself (the loop audit does); it counts its own adds and frees, and waits for
 * frees when more than {@value #MAX_UNFREED} are outstanding, so it never fills a small id space.
 *
 * <p>Locking: one churn thread; the counters are atomics; {@link #stopping} is volatile.
 */
final class IdChurnWorkload implements Workload {
    private static final Logger log = LoggerFactory.getLogger(IdChurnWorkload.class);
    private static final long PERIOD_NANOS = 2_000_000;
    static final int MAX_UNFREED = 64;

    private final EventLoop loop;
    private final AtomicLong pairs = new AtomicLong();
    private final AtomicLong adds = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();
    private volatile boolean stopping;
    private Thread thread;
    private int[] pipe;

    IdChurnWorkload(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public String name() {
        return "ids";
    }

    @Override
    public void start() {
        int[] fds = new int[2];
        Posix.pipe2(fds, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        pipe = fds;
        thread = new Thread(this::churn, "soak-id-churn");
        thread.setDaemon(true);
        thread.start();
    }

    private void churn() {
        while (!stopping) {
            try {
                while (adds.get() - frees.get() > MAX_UNFREED && !stopping) {
                    LockSupport.parkNanos(PERIOD_NANOS);
                }
                adds.addAndGet(2);
                int w = loop.addHandle(pipe[0], HandleEvents.READABLE, (x, fd, ev) -> { }, frees::incrementAndGet);
                int t = loop.addTimeout(-1, x -> { }, frees::incrementAndGet);
                loop.removeHandle(w);
                loop.removeTimeout(t);
                pairs.incrementAndGet();
            } catch (RuntimeException e) {
                log.error("id churn: the loop refused an add or remove; stopping the churn", e);
                return;
            }
            LockSupport.parkNanos(PERIOD_NANOS);
        }
    }

    /** The churn counts no operations of the soak's kinds; its adds are in the summary. */
    @Override
    public long operations() {
        return 0;
    }

    @Override
    public void stop() {
        stopping = true;
    }

    @Override
    public Map<String, Long> finish() throws InterruptedException {
        if (thread != null) {
            thread.join(10_000);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (frees.get() < adds.get() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        return Map.of();
    }

    @Override
    public String summary() {
        return String.format("id churn: %,d handle+timer add/remove pairs, %,d of %,d frees ran", pairs.get(),
                frees.get(), adds.get());
    }

    @Override
    public void close() {
        stopping = true;
        int[] p = pipe;
        pipe = null;
        if (p != null) {
            Posix.closeQuietly(p[0]);
            Posix.closeQuietly(p[1]);
        }
    }
}
