package org.xlbridge.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.libvirt.event.DomainEventType;

/**
 * The books of SPEC invariant I9 for the soak's libvirt clients, bounded in memory for runs of tens of
 * millions of calls: a domain's books live only while its cycle runs or an event it expects may still come;
 * once settled they are folded into counters and forgotten. (race's {@code LibvirtEventLedger} keeps every
 * domain, fine for a race of seconds, not for a soak.)
 *
 * <p>The rule across a daemon restart, per call that returned successfully, by the generation of the
 * connection it was made on (the {@code ReconnectingLibvirtConnection} generation):
 * <ul>
 *   <li>its event arrived exactly once, in the domain's order, on the loop thread: {@code delivered};</li>
 *   <li>it did not arrive, the loss of that generation's connection was reported by the close callback,
 *       and no event of a call made after it returned was delivered on that connection:
 *       {@code reportedLost}, not a violation. (A connection delivers its events in the order the daemon
 *       emits them, during each call: if a later call's event arrived, this one was lost silently);</li>
 *   <li>it did not arrive and no loss was reported: a violation (once the domain's cycle is over and the
 *       settle bound passed).</li>
 * </ul>
 * A call that failed because the daemon died ({@link #failed} with {@code byRestart}) may or may not have
 * caused its event: neither is a violation. Its outcome is unknown to the client (the daemon may have run
 * it and emitted the event, then died before the reply), so its books stay open until that connection is
 * freed: its event may still be dispatched until then. (Folding them as soon as the cycle ended made a
 * 10-million-operation soak report a STARTED "for a domain whose books are settled": the create had
 * failed with the connection reset, yet its event was already on its way.) A call that failed for another reason must cause none. An event
 * for a domain of our prefix whose books are gone (a duplicate or a late event), for no call, twice, out of
 * order or off the loop thread is a violation.
 *
 * <p>Books are folded only when no more events can come for them: the domain's cycle is over and each
 * expected event arrived, or the domain's connection was freed after a reported loss
 * ({@link #connectionFreedBelow}); events of a dead connection may still be dispatched after its close
 * callback, until it is freed.
 *
 * <p>Locking: {@link #live} is a concurrent map; each {@link Books} is guarded by its own monitor; the fold
 * counters are atomics; {@link #violationSamples} is guarded by its own monitor; {@link #lostGeneration} and
 * {@link #freedBelow} are atomics (they only grow).
 */
final class LibvirtWorkloadLedger {
    /** Violation messages kept for the report; the rest are only counted. */
    static final int SAMPLES = 20;

    /** One call expected to cause one event. Fields guarded by its domain's {@link Books} monitor. */
    static final class Call {
        final DomainEventType causes;
        /** Order of the call's start among all calls. */
        final long startSeq;
        /** Order of the call's successful return among all calls (0: not returned). Volatile: set unlocked. */
        volatile long returnSeq;
        boolean received;
        /** Failed because the daemon died: its event may or may not come. */
        boolean uncertain;
        /** Failed for another reason: no event may come. */
        boolean failed;

        Call(DomainEventType causes, long startSeq) {
            this.causes = causes;
            this.startSeq = startSeq;
        }
    }

    /** One domain's books. Guarded by its own monitor. */
    private static final class Books {
        final String name;
        final long generation;
        final List<Call> calls = new ArrayList<>(6);
        int highest = -1;
        boolean done;
        boolean folded;

        Books(String name, long generation) {
            this.name = name;
            this.generation = generation;
        }
    }

    private final String prefix;
    private final Map<String, Books> live = new ConcurrentHashMap<>();
    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong reportedLost = new AtomicLong();
    private final AtomicLong restartFailed = new AtomicLong();
    /** Events of calls that failed by a restart that arrived anyway (the daemon had run the call). */
    private final AtomicLong arrivedDespiteFailure = new AtomicLong();
    private final AtomicLong otherFailed = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    private final AtomicLong violations = new AtomicLong();
    private final AtomicLong folded = new AtomicLong();
    private final AtomicLong lostGeneration = new AtomicLong();
    private final AtomicLong freedBelow = new AtomicLong();
    private final List<String> violationSamples = new ArrayList<>();
    /** Orders the calls' starts and returns. */
    private final AtomicLong seq = new AtomicLong();
    /**
     * Per connection generation: the latest start among the calls whose event was delivered on it. One
     * entry per generation (one per daemon restart), so bounded by the restarts of a run.
     */
    private final Map<Long, AtomicLong> lastDeliveredStart = new ConcurrentHashMap<>();
    /** Generations current when a restart was injected, each waiting for a later call's event. */
    private final ConcurrentLinkedQueue<Long> recoveries = new ConcurrentLinkedQueue<>();

    /** @param prefix the name prefix of this workload's domains: other events are foreign, not checked */
    LibvirtWorkloadLedger(String prefix) {
        this.prefix = prefix;
    }

    /** Opens the books of a domain about to be defined on the connection of {@code generation}. */
    void open(String name, long generation) {
        live.put(name, new Books(name, generation));
    }

    /** A call on {@code name} that causes {@code type} is about to be made: call before the API call. */
    Call calling(String name, DomainEventType type) {
        Books b = live.get(name);
        Call c = new Call(type, seq.incrementAndGet());
        synchronized (b) {
            b.calls.add(c);
        }
        return c;
    }

    /** The call returned successfully. */
    void returned(Call c) {
        c.returnSeq = seq.incrementAndGet();
        operations.incrementAndGet();
    }

    /** The call failed; {@code byRestart}: because the daemon died (its connection's loss was reported). */
    void failed(String name, Call c, boolean byRestart) {
        Books b = live.get(name);
        if (b == null || c == null) {
            return;
        }
        synchronized (b) {
            if (byRestart) {
                c.uncertain = true;
                restartFailed.incrementAndGet();
            } else {
                c.failed = true;
                otherFailed.incrementAndGet();
                if (c.received) {
                    violation(name + ": " + c.causes + " delivered for a call that failed");
                }
            }
        }
    }

    /** The domain's cycle is over (undefined, or abandoned after a failure): no more calls on it. */
    void done(String name) {
        Books b = live.get(name);
        if (b == null) {
            return;
        }
        synchronized (b) {
            b.done = true;
        }
        tryFold(b);
    }

    /**
     * A listener received {@code type} for {@code name} (null: unreadable). Returns the generation of the
     * domain's connection, or -1 for an event that is not ours or a violation.
     */
    long received(String name, DomainEventType type, boolean onLoopThread) {
        received.incrementAndGet();
        if (name == null || !name.startsWith(prefix)) {
            foreign.incrementAndGet();
            return -1;
        }
        Books b = live.get(name);
        if (b == null) {
            violation(name + ": " + type + " for a domain whose books are settled (duplicate or late)");
            return -1;
        }
        long generation;
        synchronized (b) {
            generation = b.generation;
            if (!onLoopThread) {
                violation(name + ": " + type + " delivered on a thread other than the loop's");
            }
            int idx = -1;
            for (int i = 0; i < b.calls.size(); i++) {
                if (b.calls.get(i).causes == type) {
                    idx = i;
                    break;
                }
            }
            if (idx < 0) {
                violation(name + ": " + type + " that no call caused");
                return -1;
            }
            Call c = b.calls.get(idx);
            if (c.received) {
                violation(name + ": " + type + " delivered twice");
                return -1;
            }
            c.received = true;
            if (c.failed) {
                violation(name + ": " + type + " delivered for a call that failed");
            }
            lastDeliveredStart.computeIfAbsent(b.generation, g -> new AtomicLong())
                    .accumulateAndGet(c.startSeq, Math::max);
            if (idx < b.highest) {
                violation(name + ": " + type + " delivered after " + b.calls.get(b.highest).causes);
            } else {
                b.highest = idx;
            }
        }
        tryFold(b);
        return generation;
    }

    /** The close callback reported the loss of the connection of {@code generation}. */
    void lossReported(long generation) {
        lostGeneration.accumulateAndGet(generation, Math::max);
        synchronized (this) {
            notifyAll();
        }
    }

    /** Whether the loss of {@code generation}'s connection (or a later one's) was reported. */
    boolean lossReportedFor(long generation) {
        return lostGeneration.get() >= generation;
    }

    /** Waits (bounded) until the loss of {@code generation}'s connection is reported; true if it was. */
    synchronized boolean awaitLossReported(long generation, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!lossReportedFor(generation)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /**
     * Every connection of a generation below {@code generation} was freed (the reconnect did it): no more
     * events can come for their domains, whose missing events count as reported lost if the loss was
     * reported.
     */
    void connectionFreedBelow(long generation) {
        freedBelow.accumulateAndGet(generation, Math::max);
        for (Books b : live.values()) {
            if (b.generation < generation) {
                tryFold(b);
            }
        }
    }

    /** A restart is about to be injected while {@code generation} is current. */
    void expectRecovery(long generation) {
        recoveries.add(generation);
    }

    /** An event of a call made on {@code generation} arrived: how many restarts it shows recovered. */
    int recoveredBy(long generation) {
        int n = 0;
        Long head;
        while ((head = recoveries.peek()) != null && generation > head) {
            if (recoveries.remove(head)) {
                n++;
            }
        }
        return n;
    }

    /** Folds {@code b} if no more events can come for it. */
    private void tryFold(Books b) {
        long del = 0;
        long lost = 0;
        long uncertainArrived = 0;
        synchronized (b) {
            if (b.folded || !b.done) {
                return;
            }
            boolean dead = b.generation < freedBelow.get() && lostGeneration.get() >= b.generation;
            for (Call c : b.calls) {
                if (c.received) {
                    del++;
                    if (c.uncertain) {
                        uncertainArrived++;
                    }
                } else if (c.uncertain && !dead) {
                    return; // its event may still come from the dead connection
                } else if (!c.uncertain && !c.failed) {
                    if (!dead) {
                        return; // still expected
                    }
                    if (excused(b, c)) {
                        lost++;
                    } else {
                        violation(b.name + ": " + c.causes + " never delivered, though a later call's event was"
                                + " delivered on connection generation " + b.generation);
                    }
                }
            }
            b.folded = true;
        }
        live.remove(b.name, b);
        delivered.addAndGet(del);
        reportedLost.addAndGet(lost);
        arrivedDespiteFailure.addAndGet(uncertainArrived);
        folded.incrementAndGet();
    }

    /**
     * A missing event of a dead connection is excused by the reported loss only if no call that started
     * after this one returned had its event delivered on that connection. Called under {@code b}'s monitor.
     */
    private boolean excused(Books b, Call c) {
        AtomicLong last = lastDeliveredStart.get(b.generation);
        return last == null || c.returnSeq == 0 || last.get() < c.returnSeq;
    }

    /** Domains whose books are still open (bounded by the clients and the unsettled ones). */
    int liveDomains() {
        return live.size();
    }

    /** True when every open book is settled or its cycle not over. */
    boolean settled() {
        return live.isEmpty();
    }

    /**
     * Ends the run: each event still expected in open books (no loss reported for it) is a violation.
     * Call after the clients finished and the settle bound passed.
     */
    void close() {
        for (Books b : live.values()) {
            synchronized (b) {
                for (Call c : b.calls) {
                    if (!c.received && !c.uncertain && !c.failed) {
                        if (lostGeneration.get() >= b.generation && excused(b, c)) {
                            reportedLost.incrementAndGet();
                        } else {
                            violation(b.name + ": " + c.causes + " never delivered"
                                    + (b.done ? "" : " (cycle not over)"));
                        }
                    } else if (c.received) {
                        delivered.incrementAndGet();
                    }
                }
                b.folded = true;
            }
        }
        live.clear();
    }

    private void violation(String what) {
        violations.incrementAndGet();
        synchronized (violationSamples) {
            if (violationSamples.size() < SAMPLES) {
                violationSamples.add(what);
            }
        }
    }

    long operations() {
        return operations.get();
    }

    long eventsReceived() {
        return received.get();
    }

    long delivered() {
        return delivered.get();
    }

    /** Events delivered for calls that had failed because the daemon died (their outcome was unknown). */
    long arrivedDespiteFailure() {
        return arrivedDespiteFailure.get();
    }

    long reportedLost() {
        return reportedLost.get();
    }

    long restartFailedCalls() {
        return restartFailed.get();
    }

    long otherFailedCalls() {
        return otherFailed.get();
    }

    long foreignEvents() {
        return foreign.get();
    }

    long foldedDomains() {
        return folded.get();
    }

    long violations() {
        return violations.get();
    }

    List<String> violationSamples() {
        synchronized (violationSamples) {
            return List.copyOf(violationSamples);
        }
    }
}
