package org.xlbridge.driver.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;

/**
 * SPEC I9 on real loops: many producer threads queue events for their own domains while the loop flushes;
 * every event reaches every listener exactly once, per domain in the producer's order, on the loop thread.
 * The producers' {@code updateTimeout(t, 0)} races the loop's flush all the time here.
 */
class DomainEventQueueConcurrencyTest {
    private static final int PRODUCERS = 4;
    private static final int DOMAINS_PER_PRODUCER = 25;
    private static final int EVENTS_PER_DOMAIN = 40;

    private record Got(Domain domain, Thread thread) {
    }

    @Test
    void exactlyOnceInDomainOrderOnThePollLoopThread() throws Exception {
        try (PollEventLoop loop = new PollEventLoop()) {
            Thread loopThread = new Thread(loop::run, "event-queue-loop");
            loopThread.setDaemon(true);
            loopThread.start();
            try {
                run(loop, loopThread);
            } finally {
                loop.stop();
                Await.join(loopThread);
            }
        }
    }

    /**
     * On a loop that dispatches on a pool, a flush can run on any pool thread; the queue must still deliver
     * each event exactly once and in order (only the "which thread" promise is the loop's to keep).
     */
    @Test
    void exactlyOnceInDomainOrderOnAPooledDispatcher() throws Exception {
        try (PooledDispatchEventLoop loop = new PooledDispatchEventLoop(new PollEventLoop(), 3, 50_000)) {
            Thread loopThread = new Thread(loop::run, "event-queue-pooled");
            loopThread.setDaemon(true);
            loopThread.start();
            try {
                run(loop, null);
            } finally {
                loop.stop();
                Await.join(loopThread);
            }
        }
    }

    private void run(EventLoop loop, Thread expectedThread) throws Exception {
        DomainEventQueue events = new DomainEventQueue(loop, "concurrency");
        List<ConcurrentLinkedQueue<Got>> perListener = List.of(new ConcurrentLinkedQueue<>(),
                new ConcurrentLinkedQueue<>());
        AtomicLong total = new AtomicLong();
        for (ConcurrentLinkedQueue<Got> q : perListener) {
            events.addListener((d, e) -> {
                q.add(new Got(d, Thread.currentThread()));
                total.incrementAndGet();
            });
        }
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int producer = p;
            Thread t = new Thread(() -> {
                Await.await(start, "start");
                for (int seq = 0; seq < EVENTS_PER_DOMAIN; seq++) {
                    for (int d = 0; d < DOMAINS_PER_PRODUCER; d++) {
                        DomainEventType type = DomainEventType.values()[seq % 6];
                        events.queue(TestDomain.of("p" + producer + "d" + d, seq), new DomainEvent(type, 0));
                    }
                }
            }, "producer-" + p);
            t.start();
            producers.add(t);
        }
        start.countDown();
        for (Thread t : producers) {
            Await.join(t);
        }
        long expected = (long) PRODUCERS * DOMAINS_PER_PRODUCER * EVENTS_PER_DOMAIN;
        Await.until(() -> total.get() >= expected * perListener.size(), "all events delivered");
        events.close();

        for (ConcurrentLinkedQueue<Got> q : perListener) {
            Map<String, Long> next = new HashMap<>();
            for (Got g : q) {
                TestDomain d = (TestDomain) g.domain();
                long want = next.getOrDefault(d.name(), 0L);
                assertThat(d.seq()).as("event of %s delivered out of order or twice", d.name()).isEqualTo(want);
                next.put(d.name(), want + 1);
                if (expectedThread != null) {
                    assertThat(g.thread()).isSameAs(expectedThread);
                }
            }
            assertThat(next).hasSize(PRODUCERS * DOMAINS_PER_PRODUCER)
                    .allSatisfy((name, n) -> assertThat(n).as(name).isEqualTo(EVENTS_PER_DOMAIN));
        }
        EventQueueStats s = events.stats();
        assertThat(s.queued()).isEqualTo(expected);
        assertThat(s.delivered()).isEqualTo(expected * perListener.size());
        assertThat(s.dropped()).isZero();
        assertThat(s.listenerFailures()).isZero();
    }
}
