package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;

/**
 * Domain churn on a libvirt connection and a lifecycle listener that records what it sees, for the
 * SPEC I9 checks: every event a domain operation causes reaches the listener exactly once, in that
 * domain's order, on the loop thread.
 */
final class DomainChurn {
    /** The events one churn cycle (define, create, suspend, resume, destroy, undefine) causes, in order. */
    static final List<DomainEventType> CYCLE = List.of(DomainEventType.DEFINED, DomainEventType.STARTED,
            DomainEventType.SUSPENDED, DomainEventType.RESUMED, DomainEventType.STOPPED, DomainEventType.UNDEFINED);

    /** Generous: a loaded two-core machine, and a daemon in between for the remote tests. */
    static final Duration BOUND = Duration.ofSeconds(30);

    private DomainChurn() {
    }

    /** One event as the listener saw it. */
    record Seen(String domain, DomainEventType type, Thread thread) {
    }

    /** Records the events of domains whose names start with its prefix; frees each Domain it is handed. */
    static final class Recorder implements LifecycleListener {
        private final String prefix;
        final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
        final AtomicInteger count = new AtomicInteger();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

        Recorder(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public int onLifecycleChange(Domain domain, DomainEvent event) {
            try {
                String name = domain.getName();
                if (name.startsWith(prefix)) {
                    seen.add(new Seen(name, event.getType(), Thread.currentThread()));
                    count.incrementAndGet();
                }
                domain.free();
            } catch (Throwable t) {
                failures.add(t);
            }
            return 0;
        }

        /** The events seen, grouped by domain in arrival order. */
        Map<String, List<DomainEventType>> byDomain() {
            Map<String, List<DomainEventType>> out = new LinkedHashMap<>();
            for (Seen s : seen) {
                out.computeIfAbsent(s.domain(), k -> new ArrayList<>()).add(s.type());
            }
            return out;
        }

        /** Waits until {@code n} events were recorded, or fails after {@link #BOUND}. */
        void awaitCount(int n) {
            until(() -> count.get() >= n, n + " events (have " + count.get() + ")");
        }

        /** Waits until the given domain's given event was recorded. */
        void awaitEvent(String domain, DomainEventType type) {
            until(() -> seen.stream().anyMatch(s -> s.domain().equals(domain) && s.type() == type),
                    type + " of " + domain);
        }
    }

    /** One full cycle on one domain; {@code gc} forces a collection between every two operations. */
    static void cycle(Connect conn, String name, boolean gc) throws LibvirtException {
        Domain d = conn.domainDefineXML(TestDomains.xml(name));
        gc(gc);
        d.create();
        gc(gc);
        d.suspend();
        gc(gc);
        d.resume();
        gc(gc);
        d.destroy();
        gc(gc);
        d.undefine();
        gc(gc);
        d.free();
    }

    private static void gc(boolean gc) {
        if (gc) {
            System.gc();
        }
    }

    /**
     * {@code threads} threads, each running {@code perThread} cycles on its own domains
     * ({@code prefix + thread + "-" + i}), all on {@code conn}.
     *
     * @return the domain names, each of which must see {@link #CYCLE} exactly
     */
    static List<String> run(Connect conn, String prefix, int threads, int perThread, boolean gc) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    List<String> names = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        String name = prefix + thread + "-" + i;
                        cycle(conn, name, gc);
                        names.add(name);
                    }
                    return names;
                }));
            }
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : results) {
                all.addAll(f.get(BOUND.toMillis(), TimeUnit.MILLISECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Checks SPEC I9 for {@code domains} once every expected event arrived: then a sentinel domain is
     * defined and undefined and its UNDEFINED awaited, so that any duplicate still queued behind the
     * expected events has been delivered too before the check.
     */
    static void assertExactlyOnceInOrderOnThread(Connect conn, Recorder recorder, List<String> domains,
            String sentinel, Thread loopThread) throws LibvirtException {
        assertExactlyOnceInOrderOnThread(conn, recorder, domains, sentinel, List.of(loopThread), java.util.Set.of());
    }

    /**
     * As above; {@code others} are domains the recorder may also have seen, checked by the caller, and
     * {@code loopThreads} the threads that ran the loop (one, unless the test restarted it).
     */
    static void assertExactlyOnceInOrderOnThread(Connect conn, Recorder recorder, List<String> domains,
            String sentinel, List<Thread> loopThreads, java.util.Set<String> others) throws LibvirtException {
        recorder.awaitCount(domains.size() * CYCLE.size());
        Domain s = conn.domainDefineXML(TestDomains.xml(sentinel));
        s.undefine();
        s.free();
        recorder.awaitEvent(sentinel, DomainEventType.UNDEFINED);
        assertThat(recorder.failures).as("listener failures").isEmpty();
        Map<String, List<DomainEventType>> byDomain = recorder.byDomain();
        for (String d : domains) {
            assertThat(byDomain.get(d)).as("events of " + d).isEqualTo(CYCLE);
        }
        assertThat(byDomain.get(sentinel)).containsExactly(DomainEventType.DEFINED, DomainEventType.UNDEFINED);
        java.util.Set<String> known = new java.util.HashSet<>(domains);
        known.add(sentinel);
        known.addAll(others);
        assertThat(known).as("no event of an unknown domain").containsAll(byDomain.keySet());
        assertThat(recorder.seen).as("every event on the loop thread").allMatch(e -> loopThreads.contains(e.thread()));
    }

    /** Bounded polling for a condition; fails naming what it waited for. */
    static void until(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + BOUND.toSeconds() + " s waiting for " + what);
            }
            LoopThread.sleep(1);
        }
    }
}
