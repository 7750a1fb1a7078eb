package org.xlbridge.driver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.eventloop.testing.PooledDispatchEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.ao.Ao;
import org.xlbridge.libxl.ao.AoHow;
import org.xlbridge.libxl.ao.DiskConfig;
import org.xlbridge.libxl.ao.DomainConfig;
import org.xlbridge.libxl.ao.DomainsStats;
import org.xlbridge.libxl.ao.LibxlDomains;
import org.xlbridge.xen.DomainInfo;
import org.xlbridge.xen.DomainState;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.SimHost;

/**
 * A seeded stress run of libxl operations on a simulated host, through the real bridge, on the embedded loop or on
 * the pooled dispatcher. Worker threads start shutdowns and reboots whose timeouts sit next to the guests' answer
 * times, pauses, disk attaches and detaches, destroys (which abort what is in flight) and plain aborts; the loop
 * delivers the store's fd and the timeouts. It counts the races seen (a modify(ASAP), or a legacy deregister, that
 * found the timeout already firing) and the violations of the invariants that apply:
 * I1/I3 (bridge violations, a second occurredTimeout for one registration), I2 (a timeout callback before its
 * deadline), I4 (anything left at quiescence), I7 (timeoutDeregister under ASAP_MODIFY), I10 (an operation completed
 * other than exactly once, or something of it ran after completion).
 */
final class OperationStress {
    /** What a run found. */
    record Result(String loop, DeregistrationProtocol protocol, long seed, long operations, long refused,
                  long races, Map<String, Long> violations, Map<String, Long> outcomes) {
        long totalViolations() {
            return violations.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public String toString() {
            return String.format("%s %s seed=%d: %d operations, %d refused, %d races, violations %s, outcomes %s",
                    loop, protocol, seed, operations, refused, races, violations, outcomes);
        }
    }

    enum LoopKind { EMBEDDED, POOLED }

    /** Guests answer after one of these delays, and operations time out after one of them: they race. */
    private static final long[] ANSWERS = {2, 5, 10};

    private OperationStress() {
    }

    static Result run(LoopKind kind, DeregistrationProtocol protocol, long seed, Duration duration, int domains,
                      int workers) throws InterruptedException {
        PollEventLoop poll = new PollEventLoop();
        EventLoop loop = kind == LoopKind.POOLED ? new PooledDispatchEventLoop(poll, 3, 200_000) : poll;
        LongAdder races = new LongAdder();
        LongAdder legacyDeregisterCalls = new LongAdder();
        List<String> bridgeViolations = new CopyOnWriteArrayList<>();
        BridgeListener listener = new BridgeListener() {
            @Override
            public void timeoutModified(TimeoutRegistration reg, boolean raced) {
                if (raced) {
                    races.increment();
                }
            }

            @Override
            public void timeoutDeregistered(TimeoutRegistration reg) {
                legacyDeregisterCalls.increment();
                if (reg.state() == TimeoutRegistration.FIRING) {
                    races.increment();
                }
            }

            @Override
            public void beforeOccurredTimeout(TimeoutRegistration reg) {
                // The application is arbitrarily late between picking a timeout and calling occurredTimeout
                // (no lock is held there): half the time be late by up to a millisecond.
                java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
                if (r.nextBoolean()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(r.nextLong(1_000_000));
                }
            }

            @Override
            public void violation(String what) {
                bridgeViolations.add(what);
            }
        };
        OsEventBridge bridge = new OsEventBridge(loop, listener);
        LibxlContext ctx = LibxlContext.builder().hooks(bridge).protocol(protocol).build();
        bridge.attach(ctx);
        SimHost host = SimHost.realTime();
        LibxlDomains doms = new LibxlDomains(ctx, host, ev -> { });
        Thread loopThread = new Thread(loop::run, "stress-loop");
        loopThread.start();

        Map<Ao, AtomicInteger> completions = new ConcurrentHashMap<>();
        AtomicLong operations = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        Book book = new Book();
        AoHow how = AoHow.callback((ao, rc) -> {
            completions.computeIfAbsent(ao, k -> new AtomicInteger()).incrementAndGet();
            book.busy.remove(ao.domid(), ao);
            outcomes.computeIfAbsent(ao.kind() + ":" + org.xlbridge.libxl.LibxlError.describe(rc),
                    k -> new LongAdder()).increment();
        });
        Random seeds = new Random(seed);
        List<Integer> ids = new CopyOnWriteArrayList<>();
        for (int i = 0; i < domains; i++) {
            Ao c = create(doms, book, "s" + i, seeds, how);
            operations.incrementAndGet();
            ids.add(c.domid());
        }

        long end = System.nanoTime() + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        AtomicInteger nameSeq = new AtomicInteger(domains);
        for (int t = 0; t < workers; t++) {
            Random r = new Random(seeds.nextLong());
            Thread th = new Thread(() -> {
                while (System.nanoTime() < end) {
                    int domid = ids.get(r.nextInt(ids.size()));
                    try {
                        operations.incrementAndGet();
                        step(doms, host, book, domid, r, how, ids, nameSeq);
                    } catch (LibxlException e) {
                        if (!"busy".equals(e.getMessage())) {
                            refused.incrementAndGet(); // wrong state, a domain that just went...: expected
                        }
                        operations.decrementAndGet();
                        java.util.concurrent.locks.LockSupport.parkNanos(20_000); // pacing, not synchronisation
                    }
                }
            }, "stress-worker-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join(duration.toMillis() + 30_000);
        }

        // Let what is in flight finish (every wait here is bounded by a short timeout), then close.
        long drainEnd = System.nanoTime() + 2_000_000_000L;
        while (doms.stats().inProgress() > 0 && System.nanoTime() < drainEnd) {
            Thread.onSpinWait();
            Thread.sleep(1); // polling a condition with a bound, not synchronising
        }
        int leftInFlight = doms.stats().inProgress();
        doms.close();
        ctx.close();
        boolean drained = bridge.awaitDrained(Duration.ofSeconds(2));
        loop.stop();
        loopThread.join(10_000);
        EventLoopStats ls = loop.stats();
        LibxlStats cs = ctx.stats();
        DomainsStats ds = doms.stats();
        BridgeStats bs = bridge.stats();
        loop.close();
        host.close();

        long notOnce = completions.values().stream().filter(n -> n.get() != 1).count();
        long neverCompleted = 0;
        Map<String, Long> v = new java.util.LinkedHashMap<>();
        v.put("I1/I3 bridge", (long) bridgeViolations.size() + bs.violations());
        v.put("I1 second occurredTimeout", cs.timeoutsOnIdleNexus());
        v.put("I2 fired early", cs.timeoutsFiredEarly());
        v.put("I4 leftover", (drained ? 0L : 1L) + cs.busyNexi() + ls.liveTimeouts() + ls.liveHandles()
                + ds.inProgress() + ds.registeredWatches() + neverCompleted);
        v.put("I7 deregister under ASAP", protocol == DeregistrationProtocol.ASAP_MODIFY
                ? legacyDeregisterCalls.sum() : 0L);
        v.put("I10 operation", notOnce + ds.doubleCompletions() + ds.lateCallbacks() + ds.earlyTimeouts()
                + leftInFlight);
        Map<String, Long> out = new java.util.TreeMap<>();
        outcomes.forEach((k, n) -> out.put(k, n.sum()));
        return new Result(kind.name(), protocol, seed, completions.size(), refused.get(), races.sum(), v, out);
    }

    /** Per run: each domain's answer delay, and the domains with an operation of ours in flight. */
    private static final class Book {
        final Map<Integer, Long> answers = new ConcurrentHashMap<>();
        final Map<Integer, Ao> busy = new ConcurrentHashMap<>();
    }

    private static DomainConfig config(String name, Random r, long answer) {
        GuestScript s = new GuestScript(r.nextInt(8) == 0 ? GuestScript.NEVER : answer,
                r.nextInt(8) == 0 ? GuestScript.NEVER : answer, GuestScript.NEVER, r.nextInt(4) == 0 ? 3 : 0,
                r.nextInt(5), r.nextInt(8));
        return new DomainConfig(name, UUID.nameUUIDFromBytes(name.getBytes()), 65_536, 1, List.of(), s);
    }

    private static Ao create(LibxlDomains doms, Book book, String name, Random r, AoHow how) {
        long answer = ANSWERS[r.nextInt(ANSWERS.length)];
        Ao c = doms.create(config(name, r, answer), how);
        book.answers.put(c.domid(), answer);
        return c;
    }

    private static void step(LibxlDomains doms, SimHost host, Book book, int domid, Random r, AoHow how,
                             List<Integer> ids, AtomicInteger nameSeq) {
        if (book.busy.containsKey(domid)) {
            if (r.nextInt(50) == 0) {
                Ao a = book.busy.get(domid);
                if (a != null && !a.isComplete()) {
                    try {
                        doms.abort(a);
                    } catch (LibxlException gone) {
                        // completed meanwhile: fine
                    }
                }
            }
            throw new LibxlException(org.xlbridge.libxl.LibxlError.NONSPECIFIC, "busy");
        }
        DomainInfo info = host.domainInfo(domid).orElse(null);
        if (info == null) {
            ids.remove((Integer) domid);
            Ao c = create(doms, book, "s" + nameSeq.incrementAndGet(), r, how);
            ids.add(c.domid());
            return;
        }
        Ao started;
        switch (info.state()) {
            case SHUTDOWN, CRASHED -> started = doms.destroy(domid, how);
            case PAUSED -> started = doms.unpause(domid, how);
            case RUNNING -> {
                int pick = r.nextInt(100);
                // A timeout equal to the guest's answer delay: the watch and the timeout race.
                long timeout = book.answers.getOrDefault(domid, 5L);
                if (pick < 70) {
                    started = r.nextBoolean() ? doms.shutdown(domid, timeout, how) : doms.reboot(domid, timeout, how);
                } else if (pick < 80) {
                    started = doms.pause(domid, how);
                } else if (pick < 90) {
                    started = doms.diskAttach(domid, new DiskConfig(51712 + r.nextInt(2), "xvda", "/img"), how);
                } else if (pick < 97) {
                    started = doms.diskDetach(domid, 51712 + r.nextInt(2), how);
                } else {
                    started = doms.destroy(domid, how);
                }
            }
            default -> {
                return;
            }
        }
        if (!started.isComplete()) {
            book.busy.put(domid, started);
        }
    }
}
