package org.xlbridge.eventloop.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.poll.PollEventLoop;

/** The hostile loop really is hostile, and still frees only after every dispatch returned. */
class PooledDispatchEventLoopTest {
    private PooledDispatchEventLoop loop;
    private Thread runner;

    @BeforeEach
    void start() {
        loop = new PooledDispatchEventLoop(new PollEventLoop(), 4, 0);
        runner = new Thread(loop::run, "pooled-test-loop");
        runner.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        loop.close();
        runner.join(5000);
    }

    @Test
    void oneRegistrationIsDispatchedOnSeveralThreadsAtOnce() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        CountDownLatch enough = new CountDownLatch(1);
        int id = loop.addTimeout(0, t -> {
            int now = running.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            if (now >= 2) {
                enough.countDown();
            }
            try {
                enough.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
        }, null);
        assertThat(enough.await(10, TimeUnit.SECONDS)).as("two dispatches of one timer overlapped").isTrue();
        loop.removeTimeout(id);
        assertThat(maxConcurrent.get()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void freeWaitsForEveryDispatchInFlight() throws Exception {
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch freed = new CountDownLatch(1);
        AtomicInteger frees = new AtomicInteger();
        AtomicInteger fired = new AtomicInteger();
        int id = loop.addTimeout(1, t -> {
            if (fired.incrementAndGet() == 1) {
                inCallback.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, () -> {
            frees.incrementAndGet();
            freed.countDown();
        });
        assertThat(inCallback.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(loop.removeTimeout(id)).isTrue();
        assertThat(freed.await(300, TimeUnit.MILLISECONDS)).as("free must wait for the running dispatch").isFalse();
        release.countDown();
        assertThat(freed.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(frees.get()).isEqualTo(1);
    }
}
