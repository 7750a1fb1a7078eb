package org.xlbridge.race;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.TimeEvent;

/**
 * One toolstack thread of the race: registers a libxl time event with a deadline 0.2–3 ms ahead, then
 * takes one of three steps at random: let it fire (40%); hold the ctx lock across the moment the loop
 * starts dispatching it, then deregister it and register the next event inside the same lock hold (30%:
 * this makes the race frequent, and under the legacy protocol hands the recycled token straight to the new
 * event); deregister at a random offset around the deadline (30%). An {@link InvariantChecker} watches.
 * Used by {@code xlbridge race} ({@link RaceRunner}) and {@code xlbridge soak}.
 *
 * <p>Threads: {@link #run()} runs on one thread; {@link #current} is confined to it. The counters are
 * atomics shared with the runner; the ctx has its own lock.
 */
public final class RaceWorker implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(RaceWorker.class);
    /** Longest time a worker holds the ctx lock waiting for the dispatch to begin. */
    private static final long MAX_HOLD_NANOS = 3_000_000;
    /** How long an event may stay unfired past its deadline before I5 counts it. */
    public static final long LIVENESS_BOUND_NANOS = 2_000_000_000L;

    /** What a worker reports besides the checker. */
    public interface Listener {
        /** A registration the ctx refused ({@code registerAbs} threw); the worker goes on. */
        void registerFailed(LibxlException e);

        /** A registration succeeded. */
        void registered();
    }

    private final LibxlContext ctx;
    private final InvariantChecker checker;
    private final SplittableRandom random;
    private final BooleanSupplier keepGoing;
    private final AtomicLong registrations;
    private final AtomicLong deregistrations;
    private final Listener listener;
    private final TimeEvent event;
    private InvariantChecker.EventRecord current;

    /**
     * @param keepGoing       asked before each step; the worker waits for its last event once it says no
     * @param registrations   counts successful registrations
     * @param deregistrations counts deregistrations before the event fired
     * @param listener        told of refused and successful registrations
     */
    public RaceWorker(LibxlContext ctx, InvariantChecker checker, SplittableRandom random, BooleanSupplier keepGoing,
                      AtomicLong registrations, AtomicLong deregistrations, Listener listener) {
        this.ctx = ctx;
        this.checker = checker;
        this.random = random;
        this.keepGoing = keepGoing;
        this.registrations = registrations;
        this.deregistrations = deregistrations;
        this.listener = listener;
        this.event = ctx.newTimeEvent();
    }

    @Override
    public void run() {
        try {
            while (keepGoing.getAsBoolean()) {
                if (current == null || current.finished()) {
                    if (!register()) {
                        continue;
                    }
                }
                step();
            }
            if (current != null) {
                awaitFinished(current);
            }
        } catch (RuntimeException e) {
            log.error("worker failed", e);
            checker.runnerViolation(Invariant.I5, Thread.currentThread().getName() + " failed: " + e);
        }
    }

    /** Registers {@link #event} with a deadline 0.2–3 ms ahead. Call with or without the ctx lock. */
    private boolean register() {
        long deadline = System.nanoTime() + 200_000 + random.nextLong(2_800_000);
        InvariantChecker.EventRecord rec = checker.registering(deadline);
        try {
            event.registerAbs(deadline, (ev, requested, rc) -> checker.fired(rec, requested));
        } catch (LibxlException e) {
            listener.registerFailed(e);
            return false;
        } finally {
            checker.registered();
        }
        current = rec;
        registrations.incrementAndGet();
        listener.registered();
        return true;
    }

    private void step() {
        InvariantChecker.EventRecord rec = current;
        int choice = random.nextInt(100);
        if (choice < 40) {
            awaitFinished(rec);
        } else if (choice < 70) {
            parkUntil(rec.deadlineNanos - 100_000);
            ctx.withLock(() -> {
                long giveUp = System.nanoTime() + MAX_HOLD_NANOS;
                while (!rec.dispatchStarted() && !rec.finished() && System.nanoTime() < giveUp) {
                    Thread.onSpinWait();
                }
                if (cancel(rec)) {
                    register(); // inside the same lock hold: the freshest token goes to the new event
                }
            });
        } else {
            parkUntil(rec.deadlineNanos - 500_000 + random.nextLong(2_000_000));
            ctx.withLock(() -> cancel(rec));
        }
    }

    /** Deregisters the current event if it is still registered. Call with the ctx lock held. */
    private boolean cancel(InvariantChecker.EventRecord rec) {
        if (!event.isRegistered()) {
            return false;
        }
        event.deregister();
        checker.cancelled(rec);
        deregistrations.incrementAndGet();
        return true;
    }

    private void awaitFinished(InvariantChecker.EventRecord rec) {
        long giveUp = rec.deadlineNanos + LIVENESS_BOUND_NANOS;
        while (!rec.finished()) {
            if (System.nanoTime() > giveUp) {
                checker.runnerViolation(Invariant.I5, "event not fired " + LIVENESS_BOUND_NANOS / 1_000_000
                        + " ms after its deadline");
                ctx.withLock(() -> cancel(rec));
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    private static void parkUntil(long nanoTime) {
        long wait;
        while ((wait = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}
