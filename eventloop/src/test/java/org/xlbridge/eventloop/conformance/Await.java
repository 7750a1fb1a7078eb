package org.xlbridge.eventloop.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waits for tests: every wait ends, and a wait that times out fails the test with a reason. */
public final class Await {
    /** The bound for anything that should happen "soon": generous, for a loaded machine. */
    public static final Duration BOUND = Duration.ofSeconds(5);

    private Await() {
    }

    /** Waits for the latch to reach zero within {@link #BOUND}. */
    public static void await(CountDownLatch latch, String what) {
        try {
            assertThat(latch.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("waiting for " + what).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /** Polls {@code condition} every millisecond or so until it holds, within {@link #BOUND}. */
    public static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + BOUND.toSeconds() + " s waiting for " + what);
            }
            sleep(1);
        }
    }

    /** Sleeps; used only to give a loop time to block, never to wait for a result. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Joins a thread within {@link #BOUND}; fails if it is still alive. */
    public static void join(Thread thread) {
        try {
            thread.join(BOUND.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        assertThat(thread.isAlive()).as(thread.getName() + " still alive after " + BOUND.toSeconds() + " s").isFalse();
    }
}
