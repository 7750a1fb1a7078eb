package org.xlbridge.junit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;
import org.xlbridge.ids.IdReuseAudit;

/**
 * The loop a kit test's driver registers with: the loop the test asked for, seen through a thin layer that
 * changes nothing the driver can observe and reports to the {@link DriverInvariantChecker}:
 * <ul>
 *   <li>I8: every id the loop hands out is positive and not handed out again while live or within the
 *       loops' quarantine after its free ran (per kind; see {@code docs/invariants.md});</li>
 *   <li>I3 at the loop level (Contract 1, semantic 6): a registration's free runs once, never while one
 *       of its callbacks runs, and no callback of it runs after its free;</li>
 *   <li>I4: which registrations (by id, kind and the thread that added them) are still live;</li>
 *   <li>which threads are inside a loop dispatch right now ({@link #inDispatch()}), so event deliveries can
 *       be checked to run "on the loop thread" (I9) on any loop, the pooled one included;</li>
 *   <li>callbacks that threw (the loop logs and counts them; the kit fails the test on them).</li>
 * </ul>
 * With {@code turnedByTest} (the manual loop), {@link #run()} does not turn the inner loop: it waits until
 * {@link #stop()} or {@link #close()}, so that {@link org.xlbridge.driver.DriverRuntime}'s loop thread
 * leaves the manual loop to the test, which drives it with {@code advance} and {@code runDue}.
 *
 * <p>Locking: no lock of its own. Live registrations are in concurrent maps; per registration,
 * {@link Reg#id} is volatile and {@link Reg#running}/{@link Reg#frees} are atomics; {@link #DISPATCH_DEPTH} is
 * thread-confined. A registration's free may race its add's return (a callback can remove its own
 * registration before {@code addTimeout} returns): {@link #track} re-checks {@code frees} after publishing
 * the id, and {@link Reg#free} reads the id after counting the free, so one of them always unpublishes it.
 */
final class ObservedEventLoop implements EventLoop {
    private static final ThreadLocal<int[]> DISPATCH_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final EventLoop inner;
    private final DriverInvariantChecker checker;
    private final boolean turnedByTest;
    private final Map<Integer, Reg> liveTimers = new ConcurrentHashMap<>();
    private final Map<Integer, Reg> liveHandles = new ConcurrentHashMap<>();
    /** Thread-safe. I8 per kind: ids live or recently freed must not come back. */
    private final IdReuseAudit timerIds = IdReuseAudit.forLoopIds("timer");
    private final IdReuseAudit handleIds = IdReuseAudit.forLoopIds("watch");
    private final CountDownLatch stopped = new CountDownLatch(1);

    ObservedEventLoop(EventLoop inner, DriverInvariantChecker checker, boolean turnedByTest) {
        this.inner = inner;
        this.checker = checker;
        this.turnedByTest = turnedByTest;
    }

    /** True while the calling thread runs a callback or free dispatched by this loop. */
    static boolean inDispatch() {
        return DISPATCH_DEPTH.get()[0] > 0;
    }

    EventLoop inner() {
        return inner;
    }

    /** A registration as this layer sees it. */
    private final class Reg {
        final String kind;
        final String detail;
        final String addedBy = Thread.currentThread().getName();
        volatile int id;
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger frees = new AtomicInteger();
        final IdReuseAudit audit;
        final IdReuseAudit.Ticket ticket;

        Reg(String kind, String detail, IdReuseAudit audit) {
            this.kind = kind;
            this.detail = detail;
            this.audit = audit;
            this.ticket = audit.ticket();
        }

        void dispatch(Runnable callback) {
            if (frees.get() > 0) {
                checker.report(Invariant.I3, "loop: callback of " + this + " dispatched after its free");
            }
            running.incrementAndGet();
            int[] depth = DISPATCH_DEPTH.get();
            depth[0]++;
            try {
                callback.run();
            } catch (RuntimeException | Error e) {
                checker.callbackFailed(this + " callback", e);
                throw e;
            } finally {
                depth[0]--;
                running.decrementAndGet();
            }
        }

        void free(FreeCallback ff, Map<Integer, Reg> live) {
            if (frees.incrementAndGet() > 1) {
                checker.report(Invariant.I3, "loop: free of " + this + " ran " + frees.get() + " times");
                return;
            }
            if (running.get() > 0) {
                checker.report(Invariant.I3, "loop: free of " + this + " ran while its callback was running");
            }
            audit.freed(ticket);
            int i = id;
            if (i != 0) {
                live.remove(i, this);
            }
            if (ff == null) {
                return;
            }
            int[] depth = DISPATCH_DEPTH.get();
            depth[0]++;
            try {
                ff.free();
            } catch (RuntimeException | Error e) {
                checker.callbackFailed(this + " free", e);
                throw e;
            } finally {
                depth[0]--;
            }
        }

        @Override
        public String toString() {
            return kind + " " + (id == 0 ? "?" : Integer.toString(id)) + " (" + detail + ", added on " + addedBy + ")";
        }
    }

    private void track(Reg r, int id, Map<Integer, Reg> live) {
        if (id <= 0) {
            checker.report(Invariant.I8, "loop handed out a " + r.kind + " id that is not positive: " + id);
            r.audit.added(r.ticket, id);
        } else if (!r.audit.added(r.ticket, id)) {
            checker.report(Invariant.I8, "loop handed out " + r.kind + " id " + id + " again while live or"
                    + " recently freed");
        }
        r.id = id;
        live.put(id, r);
        if (r.frees.get() > 0) {
            live.remove(id, r);
        }
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        if (cb == null) {
            throw new IllegalArgumentException("null TimeoutCallback");
        }
        Reg r = new Reg("timer", "added with frequency " + frequencyMs + " ms", timerIds);
        int id = inner.addTimeout(frequencyMs, t -> r.dispatch(() -> cb.onTimeout(t)), () -> r.free(ff, liveTimers));
        track(r, id, liveTimers);
        return id;
    }

    @Override
    public void updateTimeout(int timer, int frequencyMs) {
        inner.updateTimeout(timer, frequencyMs);
    }

    @Override
    public boolean removeTimeout(int timer) {
        return inner.removeTimeout(timer);
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        if (cb == null) {
            throw new IllegalArgumentException("null HandleCallback");
        }
        Reg r = new Reg("handle", "fd " + fd, handleIds);
        int id = inner.addHandle(fd, events, (w, f, ev) -> r.dispatch(() -> cb.onEvent(w, f, ev)),
                () -> r.free(ff, liveHandles));
        track(r, id, liveHandles);
        return id;
    }

    @Override
    public void updateHandle(int watch, int events) {
        inner.updateHandle(watch, events);
    }

    @Override
    public boolean removeHandle(int watch) {
        return inner.removeHandle(watch);
    }

    @Override
    public void runOnce() {
        inner.runOnce();
    }

    @Override
    public void run() {
        if (!turnedByTest) {
            inner.run();
            return;
        }
        // The manual loop is driven by the test; the runtime's loop thread only waits for stop().
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        if (turnedByTest) {
            stopped.countDown();
        } else {
            inner.stop();
        }
    }

    @Override
    public EventLoopStats stats() {
        return inner.stats();
    }

    @Override
    public void close() {
        stopped.countDown();
        inner.close();
    }

    /** Registrations added through this layer whose free has not run, described. */
    List<String> liveRegistrations() {
        List<String> out = new ArrayList<>();
        liveTimers.values().forEach(r -> out.add(r.toString()));
        liveHandles.values().forEach(r -> out.add(r.toString()));
        return out;
    }

    /** True when nothing is live or pending in the loop, and nothing is queued on a dispatch pool. */
    boolean isQuiet() {
        EventLoopStats s = inner.stats();
        boolean poolIdle = !(inner instanceof PooledDispatchEventLoop p) || p.dispatchesInFlight() == 0;
        return s.liveTimeouts() == 0 && s.liveHandles() == 0 && s.pendingFrees() == 0 && poolIdle
                && liveTimers.isEmpty() && liveHandles.isEmpty();
    }

    @Override
    public String toString() {
        return "observed " + inner;
    }
}
