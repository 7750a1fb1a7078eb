package org.xlbridge.eventloop.testing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.IdWraps;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.ids.IdAllocator;

/**
 * A hostile application loop for tests: wraps another {@link EventLoop} and hands every dispatch to a
 * thread pool, optionally after a random delay, as a Java application with a worker pool might. The inner
 * loop's callback returns at once, so the inner loop may dispatch the same registration again (a periodic
 * timer, a frequency-0 timer) while the first dispatch is still queued or running: callbacks of one
 * registration run concurrently on several threads. Code hosted on it must cope; libvirt's own loops
 * never do this.
 *
 * <p>At most two dispatches of one registration are queued or running at a time; further ticks of the
 * inner loop are skipped (counted in {@link #skippedTicks()}), so a frequency-0 timer cannot flood the
 * queue. It keeps one promise of the contract: a registration's {@link FreeCallback} runs once, after every
 * dispatch of it handed to the pool has returned (on whichever thread finishes last). Stop and interrupts
 * follow the inner loop's rules (see {@link EventLoop}); a callback's failure happens on a pool thread, so
 * it is logged and counted there and never leaves the inner loop's {@code run()}.
 *
 * <p>Ids: its own, from two {@link IdAllocator}s, mapped to the inner loop's. The inner loop releases its
 * id when its free runs, but a dispatch of that registration may still be queued or running on the pool;
 * this loop's id is released only when this loop's free has run, after the last of them, so no callback
 * ever sees an id handed out again while it runs (I8).
 *
 * <p>Locking: the allocators are guarded by their own monitors; the id maps are concurrent; a slot's
 * monitor guards its inner id and is held across the inner add (never across a callback). Per
 * registration, {@link Slot#inFlight} counts dispatches handed to the pool and not yet finished, {@link Slot#freeRequested} says the inner loop freed it and {@link Slot#freed} makes the
 * free run once; the inner loop only frees after its last dispatch of that registration, so once
 * {@code freeRequested} is set {@code inFlight} can only fall.
 */
public final class PooledDispatchEventLoop implements EventLoop, IdWraps {
    private static final Logger log = LoggerFactory.getLogger(PooledDispatchEventLoop.class);

    private final EventLoop inner;
    private final ExecutorService pool;
    private final long maxDelayNanos;
    private final LongAdder pooledDispatches = new LongAdder();
    private final LongAdder pooledFailures = new LongAdder();
    private final LongAdder skippedTicks = new LongAdder();
    /** Dispatches of one registration that may be queued or running at once. */
    static final int MAX_IN_FLIGHT = 2;
    private final AtomicInteger framesPending = new AtomicInteger();
    /** Guarded by itself. This loop's timer ids. */
    private final IdAllocator timerIds = IdAllocator.configured("timer");
    /** Guarded by itself. This loop's watch ids. */
    private final IdAllocator watchIds = IdAllocator.configured("watch");
    /** Live registrations by this loop's id (removed at remove*, so later updates are no-ops). */
    private final ConcurrentHashMap<Integer, Slot> timers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Slot> handles = new ConcurrentHashMap<>();

    /**
     * @param inner    the loop that decides when things are due
     * @param threads  dispatch threads, at least 1
     * @param maxDelayNanos each dispatch waits a random 0..maxDelayNanos before running (0: no delay)
     */
    public PooledDispatchEventLoop(EventLoop inner, int threads, long maxDelayNanos) {
        if (inner == null) {
            throw new IllegalArgumentException("inner loop must not be null");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (maxDelayNanos < 0) {
            throw new IllegalArgumentException("maxDelayNanos must not be negative");
        }
        this.inner = inner;
        this.maxDelayNanos = maxDelayNanos;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "xlbridge-dispatch-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The wrapped loop. */
    public EventLoop inner() {
        return inner;
    }

    private final class Slot {
        final FreeCallback ff;
        /** This loop's id and the allocator it came from. */
        final int id;
        final IdAllocator ids;
        /** Guarded by this slot's monitor. The inner loop's id, 0 until the inner add returned. */
        private int innerId;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicBoolean freeRequested = new AtomicBoolean();
        final AtomicBoolean freed = new AtomicBoolean();

        Slot(FreeCallback ff, IdAllocator ids) {
            this.ff = ff;
            this.ids = ids;
            synchronized (ids) {
                this.id = ids.allocate();
            }
        }

        /** The inner id; waits (on the slot's monitor) while the inner add is still under way. */
        synchronized int innerId() {
            return innerId;
        }

        /** Gives the id back when the registration never got into the inner loop. */
        void abandon() {
            synchronized (ids) {
                ids.release(id);
            }
        }

        void dispatch(Runnable callback) {
            // At most MAX_IN_FLIGHT dispatches of one registration are queued or running: enough for
            // concurrent duplicates, without a frequency-0 timer flooding the queue with millions of
            // ticks and starving every other registration (a tick that finds the pool busy is skipped).
            if (inFlight.get() >= MAX_IN_FLIGHT) {
                skippedTicks.increment();
                return;
            }
            inFlight.incrementAndGet();
            framesPending.incrementAndGet();
            try {
                pool.execute(() -> run(callback));
            } catch (RuntimeException rejected) { // pool shut down during close
                finish();
            }
        }

        private void run(Runnable callback) {
            try {
                if (maxDelayNanos > 0) {
                    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxDelayNanos + 1));
                }
                pooledDispatches.increment();
                callback.run();
            } catch (RuntimeException | Error e) {
                pooledFailures.increment();
                log.warn("pooled callback threw", e);
            } finally {
                finish();
            }
        }

        private void finish() {
            framesPending.decrementAndGet();
            // Re-read inFlight after freeRequested: between our decrement and that read the loop thread
            // may have queued another dispatch of this registration (0 -> 1) and the inner loop may have
            // freed it; that later dispatch's finish() runs the free then, after the last callback.
            if (inFlight.decrementAndGet() == 0 && freeRequested.get() && inFlight.get() == 0) {
                runFree();
            }
        }

        void innerFreed() {
            freeRequested.set(true);
            if (inFlight.get() == 0) {
                runFree();
            }
        }

        private void runFree() {
            if (freed.compareAndSet(false, true)) {
                try {
                    if (ff != null) {
                        ff.free();
                    }
                } catch (RuntimeException e) {
                    pooledFailures.increment();
                    log.warn("free callback threw", e);
                } finally {
                    synchronized (ids) {
                        ids.release(id); // after the last dispatch and the free: nobody holds it
                    }
                }
            }
        }
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        if (cb == null) {
            throw new IllegalArgumentException("handle callback must not be null");
        }
        Slot slot = new Slot(ff, watchIds);
        // Published first, and the inner add under the slot's monitor: a dispatch that races the add
        // and updates or removes its own id finds the slot and waits for the inner id.
        handles.put(slot.id, slot);
        synchronized (slot) {
            try {
                slot.innerId = inner.addHandle(fd, events,
                        (w, f, ev) -> slot.dispatch(() -> cb.onEvent(slot.id, f, ev)), slot::innerFreed);
            } catch (RuntimeException | Error e) {
                handles.remove(slot.id);
                slot.abandon();
                throw e;
            }
        }
        return slot.id;
    }

    @Override
    public void updateHandle(int watch, int events) {
        Slot slot = handles.get(watch);
        if (slot == null) {
            inner.updateHandle(-1, events); // checks the arguments and the closed state; no-op otherwise
            return;
        }
        inner.updateHandle(slot.innerId(), events);
    }

    @Override
    public boolean removeHandle(int watch) {
        Slot slot = handles.remove(watch);
        if (slot == null) {
            return inner.removeHandle(-1);
        }
        return inner.removeHandle(slot.innerId());
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        if (cb == null) {
            throw new IllegalArgumentException("timeout callback must not be null");
        }
        Slot slot = new Slot(ff, timerIds);
        // Published first, and the inner add under the slot's monitor: a dispatch that races the add
        // and updates or removes its own id finds the slot and waits for the inner id.
        timers.put(slot.id, slot);
        synchronized (slot) {
            try {
                slot.innerId = inner.addTimeout(frequencyMs, t -> slot.dispatch(() -> cb.onTimeout(slot.id)),
                        slot::innerFreed);
            } catch (RuntimeException | Error e) {
                timers.remove(slot.id);
                slot.abandon();
                throw e;
            }
        }
        return slot.id;
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        Slot slot = timers.get(timer);
        if (slot == null) {
            inner.updateTimeout(-1, frequencyMs); // checks the arguments and the closed state; no-op otherwise
            return;
        }
        inner.updateTimeout(slot.innerId(), frequencyMs);
    }

    @Override
    public boolean removeTimeout(int timer) {
        Slot slot = timers.remove(timer);
        if (slot == null) {
            return inner.removeTimeout(-1);
        }
        return inner.removeTimeout(slot.innerId());
    }

    @Override
    public long timerIdWraps() {
        synchronized (timerIds) {
            return timerIds.wraps();
        }
    }

    @Override
    public long watchIdWraps() {
        synchronized (watchIds) {
            return watchIds.wraps();
        }
    }

    @Override
    public void runOnce() {
        inner.runOnce();
    }

    @Override
    public void run() {
        inner.run();
    }

    @Override
    public void stop() {
        inner.stop();
    }

    /** The inner loop's stats, with this wrapper's failures added and its pending dispatches' frees counted. */
    @Override
    public EventLoopStats stats() {
        EventLoopStats s = inner.stats();
        return new EventLoopStats(s.liveTimeouts(), s.liveHandles(), s.dispatches(),
                s.callbackFailures() + pooledFailures.sum(), s.pendingFrees(), s.iterations(),
                s.maxLatenessNanos());
    }

    /** Inner-loop dispatches dropped because the registration already had MAX_IN_FLIGHT in the pool. */
    public long skippedTicks() {
        return skippedTicks.sum();
    }

    /** Dispatches handed to the pool and not yet finished. */
    public int dispatchesInFlight() {
        return framesPending.get();
    }

    /** Stops the inner loop, lets queued dispatches finish (bounded), then closes the inner loop. */
    @Override
    public void close() {
        inner.stop();
        pool.shutdown();
        try {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("dispatch pool did not finish within 10 s; {} dispatches in flight", framesPending.get());
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
        inner.close();
    }
}
