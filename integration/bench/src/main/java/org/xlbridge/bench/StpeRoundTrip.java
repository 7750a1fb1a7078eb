package org.xlbridge.bench;

import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@link ScheduledThreadPoolExecutor} anchor for {@link HookRoundTripBench}: the same bookkeeping as
 * the bridge's round trip, done the way an application built on an executor would do it. Register
 * schedules a task one hour ahead; modify(ASAP) cancels it and schedules it again with delay 0; the
 * executor's thread runs it, which wins the registration (compare-and-set), hands the token back to a
 * "ctx" that finds it stale under the ctx lock and returns it to a pool, and frees the registration.
 * The benchmark thread waits until all of its batch is freed.
 *
 * <p>Locking: {@link #ctxLock} guards {@link #tokenPool} and every {@link Token#event}, as libxl's ctx
 * lock guards its nexi. {@link Registration#state} and {@link #outstanding} are atomics;
 * {@link Registration#future} is written by the benchmark thread only before the registration is due, and
 * read by it alone. {@link #waiter} is volatile, written by the benchmark thread before it schedules a batch.
 */
final class StpeRoundTrip implements RoundTrip {
    private static final int ARMED = 0;
    private static final int FIRING = 1;
    private static final int FREED = 2;

    private final ScheduledThreadPoolExecutor executor;
    private final Object ctxLock = new Object();
    // Guarded by ctxLock.
    private final ArrayDeque<Token> tokenPool = new ArrayDeque<>();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final Registration[] batch;
    private volatile Thread waiter;
    // Benchmark thread only.
    private long roundTrips;
    // Guarded by ctxLock.
    private long staleDiscarded;

    /** A one-thread executor with remove-on-cancel, and room for {@code batchSize} registrations. */
    StpeRoundTrip(int batchSize) {
        executor = new ScheduledThreadPoolExecutor(1);
        executor.setRemoveOnCancelPolicy(true);
        batch = new Registration[batchSize];
    }

    /** Runs {@code n} round trips and waits for all of them to be freed. */
    @Override
    public long run(int n) {
        waiter = Thread.currentThread();
        outstanding.addAndGet(n);
        for (int i = 0; i < n; i++) {
            batch[i] = register();
        }
        for (int i = 0; i < n; i++) {
            modifyAsap(batch[i]);
        }
        while (outstanding.get() != 0) {
            LockSupport.park(this);
        }
        roundTrips += n;
        return n;
    }

    /** Checks every round trip ended in a stale discard. */
    @Override
    public void verify() {
        long discarded;
        synchronized (ctxLock) {
            discarded = staleDiscarded;
        }
        if (discarded != roundTrips) {
            throw new IllegalStateException(roundTrips + " round trips but " + discarded + " stale discards");
        }
    }

    private Registration register() {
        Token token;
        synchronized (ctxLock) {
            token = tokenPool.poll();
            if (token == null) {
                token = new Token();
            }
            token.event = Boolean.TRUE;
        }
        Registration reg = new Registration(token);
        reg.future = executor.schedule(reg, BenchLoops.FAR_MS, TimeUnit.MILLISECONDS);
        return reg;
    }

    private void modifyAsap(Registration reg) {
        synchronized (ctxLock) {
            reg.token.event = null; // the ctx no longer wants it: the next occurred for it is stale
        }
        if (reg.state.get() == ARMED && reg.future.cancel(false)) {
            reg.future = executor.schedule(reg, 0, TimeUnit.NANOSECONDS);
        }
    }

    private void occurred(Token token) {
        synchronized (ctxLock) {
            if (token.event == null) {
                staleDiscarded++;
            }
            tokenPool.push(token);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** libxl's nexus: points at its event, or at nothing once deregistered. */
    private static final class Token {
        // Guarded by ctxLock.
        Object event;
    }

    /** The application's registration object. */
    private final class Registration implements Runnable {
        final Token token;
        final AtomicInteger state = new AtomicInteger(ARMED);
        ScheduledFuture<?> future;

        Registration(Token token) {
            this.token = token;
        }

        @Override
        public void run() {
            if (!state.compareAndSet(ARMED, FIRING)) {
                return;
            }
            occurred(token);
            state.set(FREED);
            if (outstanding.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        }
    }
}
