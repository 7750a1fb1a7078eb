package org.xlbridge.driver.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;

/**
 * The event queue's single-flight guard, deterministically: on a loop that dispatches on a pool, a second
 * dispatch of the queue's timer arrives while a listener of the first flush still runs (the queue's lock
 * is released around listener calls). It must take nothing: were it to take the events queued meanwhile and
 * deliver them beside the running batch, a domain's later event would reach the listener before its
 * earlier one had been delivered (I9's order). Driven step by step on {@link PooledDispatchEventLoop}
 * over a {@link ManualEventLoop}, through the queue's public API only; until now only a stress test caught
 * a missing guard, in about five runs of six.
 */
class DomainEventQueueSingleFlightTest {
    private static final long WAIT_MS = 10_000;

    /** Counts timer dispatches that have returned (on the pool thread that ran them). */
    static final class ReturnCounting extends ForwardingEventLoop {
        final Semaphore returned = new Semaphore(0);

        ReturnCounting(EventLoop inner) {
            super(inner);
        }

        @Override
        public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
            return super.addTimeout(frequencyMs, t -> {
                try {
                    cb.onTimeout(t);
                } finally {
                    returned.release();
                }
            }, ff);
        }
    }

    private static TestDomain event(int seq) {
        return TestDomain.of("dom", seq);
    }

    @Test
    void aSecondFlushWhileAListenerOfTheFirstRunsTakesNothingAndOrderHolds() throws Exception {
        ManualEventLoop manual = new ManualEventLoop();
        try (PooledDispatchEventLoop pooled = new PooledDispatchEventLoop(manual, 2, 0)) {
            ReturnCounting loop = new ReturnCounting(pooled);
            DomainEventQueue events = new DomainEventQueue(loop, "single-flight");
            List<Long> got = new CopyOnWriteArrayList<>();
            CountDownLatch inFirst = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            events.addListener((d, e) -> {
                long seq = ((TestDomain) d).seq();
                got.add(seq);
                if (seq == 0) {
                    inFirst.countDown();
                    try {
                        release.await(WAIT_MS, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            try {
                assertThat(events.queue(event(0), new DomainEvent(DomainEventType.STARTED, 0))).isTrue();
                manual.runDue(); // flush 1 on a pool thread: takes [0], its listener blocks
                assertThat(inFirst.await(WAIT_MS, TimeUnit.MILLISECONDS)).as("the first flush's listener runs").isTrue();

                // Queued while flush 1 delivers: the queue was emptied, so this re-arms the timer (update to 0)...
                assertThat(events.queue(event(1), new DomainEvent(DomainEventType.STOPPED, 0))).isTrue();
                // ...and the loop dispatches it again, on the other pool thread, while flush 1 is still running.
                manual.runDue();
                assertThat(loop.returned.tryAcquire(WAIT_MS, TimeUnit.MILLISECONDS))
                        .as("the second dispatch returned while the first flush's listener was blocked").isTrue();
                assertThat(got).as("nothing delivered beside the running flush").containsExactly(0L);
                assertThat(events.pending()).as("event 1 left queued for the next flush").isEqualTo(1);
                assertThat(events.stats().flushes()).as("the second dispatch did not flush").isEqualTo(1);
            } finally {
                release.countDown();
            }
            assertThat(loop.returned.tryAcquire(WAIT_MS, TimeUnit.MILLISECONDS)).as("flush 1 returned").isTrue();

            // The timer is still armed for event 1: the next dispatch flushes it. A dispatch that has returned
            // may not yet have left the pooled loop's books (it allows two per registration in flight and skips
            // a third), so dispatch again only once nothing is in flight, until event 1 is delivered.
            Await.until(() -> {
                if (got.size() < 2 && pooled.dispatchesInFlight() == 0) {
                    manual.runDue();
                }
                return got.size() == 2 && pooled.dispatchesInFlight() == 0;
            }, "event 1 delivered by the next flush");
            assertThat(got).as("each event once, in queue order").containsExactly(0L, 1L);
            EventQueueStats s = events.stats();
            assertThat(s.flushes()).isEqualTo(2);
            assertThat(s.delivered()).isEqualTo(2);
            assertThat(s.listenerFailures()).isZero();
            assertThat(events.pending()).isZero();
            events.close();
        }
    }
}
