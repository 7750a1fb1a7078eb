package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.xlbridge.eventloop.EventLoop;

/**
 * A thread running {@code loop.run()} for a test, plus the bounded waits the libvirt tests use. Every
 * wait ends within {@link #BOUND}; one that does not fails the test with a reason.
 */
final class LoopThread {
    /** Generous, for a loaded two-core machine. */
    static final Duration BOUND = Duration.ofSeconds(5);

    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private LoopThread(EventLoop loop, String name) {
        thread = new Thread(() -> {
            try {
                loop.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, name);
        thread.setDaemon(true);
    }

    /** Starts {@code loop.run()} on a new thread and returns once libvirt's loop provably iterates. */
    static LoopThread start(EventLoop loop, String name) {
        LoopThread t = new LoopThread(loop, name);
        t.thread.start();
        CountDownLatch running = new CountDownLatch(1);
        loop.addTimeout(0, id -> {
            loop.removeTimeout(id);
            running.countDown();
        }, null);
        await(running, name + " to run");
        return t;
    }

    Thread thread() {
        return thread;
    }

    /** Waits until run() has returned; fails if it does not within the bound or if it threw. */
    void join() {
        try {
            thread.join(BOUND.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        assertThat(thread.isAlive()).as(thread.getName() + " still running after " + BOUND.toSeconds() + " s").isFalse();
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError(thread.getName() + ": run() threw", t);
        }
    }

    static void await(CountDownLatch latch, String what) {
        try {
            assertThat(latch.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("waiting for " + what).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + BOUND.toSeconds() + " s waiting for " + what);
            }
            sleep(1);
        }
    }

    /** Only to give a loop time to block, never to wait for a result. */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
