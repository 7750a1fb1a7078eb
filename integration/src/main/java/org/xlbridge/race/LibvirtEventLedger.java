package org.xlbridge.race;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.libvirt.event.DomainEventType;

/**
 * The books of SPEC invariant I9 for libvirt clients: per domain, the lifecycle events its API calls
 * cause (in call order) and the events a listener received; {@link #report} compares them. Kept apart from
 * the clients so that the comparison can be tested without libvirt.
 *
 * <p>Each event type may be caused at most once per domain (the clients use a fresh domain per cycle of
 * define, create, suspend, resume, destroy, undefine), so a received event is matched by its type.
 *
 * <p>Locking: {@link #domains} is a concurrent map; each {@link Domain}'s lists are guarded by its monitor;
 * counters are atomics. {@link #report} is called after the clients were joined.
 */
final class LibvirtEventLedger {
    /** One expected event, caused by a call that returned at {@link #returnedNanos} (0 while it runs). */
    static final class Call {
        final DomainEventType causes;
        volatile long returnedNanos;

        Call(DomainEventType causes) {
            this.causes = causes;
        }
    }

    private record Received(DomainEventType type, long atNanos, boolean onLoopThread) {
    }

    /** One domain's books. Guarded by its own monitor. */
    private static final class Domain {
        final List<Call> expected = new ArrayList<>();
        final List<Received> received = new ArrayList<>();
    }

    private final Map<String, Domain> domains = new ConcurrentHashMap<>();
    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong apiErrors = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    private final AtomicLong foreignOffLoop = new AtomicLong();
    private final AtomicLong receivedEvents = new AtomicLong();

    /** Opens the books of a domain about to be defined. */
    void domain(String name) {
        domains.put(name, new Domain());
    }

    /** A call on {@code name} that causes {@code type} is about to be made; call before the API call. */
    Call calling(String name, DomainEventType type) {
        Call c = new Call(type);
        Domain d = domains.get(name);
        synchronized (d) {
            d.expected.add(c);
        }
        return c;
    }

    /** The call returned successfully. */
    void returned(Call call) {
        call.returnedNanos = System.nanoTime();
        operations.incrementAndGet();
    }

    /** The call failed: its event is not expected. */
    void failed(String name, Call call) {
        apiErrors.incrementAndGet();
        Domain d = domains.get(name);
        synchronized (d) {
            d.expected.remove(call);
        }
    }

    /** A listener received {@code type} for the domain {@code name} (null: unknown) at {@code atNanos}. */
    void received(String name, DomainEventType type, long atNanos, boolean onLoopThread) {
        receivedEvents.incrementAndGet();
        Domain d = name == null ? null : domains.get(name);
        if (d == null) {
            foreign.incrementAndGet();
            if (!onLoopThread) {
                foreignOffLoop.incrementAndGet();
            }
            return;
        }
        synchronized (d) {
            d.received.add(new Received(type, atNanos, onLoopThread));
        }
    }

    /** Successful calls so far. */
    long operations() {
        return operations.get();
    }

    /** Events received so far, for any domain. */
    long eventsReceived() {
        return receivedEvents.get();
    }

    /** True when every domain received at least as many events as it expects. */
    boolean allArrived() {
        for (Domain d : domains.values()) {
            synchronized (d) {
                if (d.received.size() < d.expected.size()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Compares the books and records every I9 violation in {@code checker}. */
    LibvirtReport report(String uri, int clients, InvariantChecker checker) {
        long expected = 0;
        long delivered = 0;
        long lost = 0;
        long duplicated = 0;
        long outOfOrder = 0;
        long offLoop = foreignOffLoop.get();
        long unexpected = foreign.get();
        Histogram latency = new Histogram(3);
        for (Map.Entry<String, Domain> entry : domains.entrySet()) {
            String name = entry.getKey();
            Domain d = entry.getValue();
            synchronized (d) {
                expected += d.expected.size();
                boolean[] seen = new boolean[d.expected.size()];
                int highest = -1;
                for (Received r : d.received) {
                    if (!r.onLoopThread()) {
                        offLoop++;
                        checker.runnerViolation(Invariant.I9, name + ": " + r.type()
                                + " delivered on a thread other than the loop's");
                    }
                    int idx = indexOf(d.expected, r.type());
                    if (idx < 0) {
                        unexpected++;
                        checker.runnerViolation(Invariant.I9, name + ": " + r.type() + " that no call caused");
                    } else if (seen[idx]) {
                        duplicated++;
                        checker.runnerViolation(Invariant.I9, name + ": " + r.type() + " delivered twice");
                    } else {
                        seen[idx] = true;
                        delivered++;
                        if (idx < highest) {
                            outOfOrder++;
                            checker.runnerViolation(Invariant.I9, name + ": " + r.type() + " delivered after "
                                    + d.expected.get(highest).causes);
                        } else {
                            highest = idx;
                        }
                        long returned = d.expected.get(idx).returnedNanos;
                        latency.recordValue(Math.max(0, (r.atNanos() - returned) / 1000));
                    }
                }
                for (int i = 0; i < seen.length; i++) {
                    if (!seen[i]) {
                        lost++;
                        checker.runnerViolation(Invariant.I9, name + ": " + d.expected.get(i).causes
                                + " never delivered");
                    }
                }
            }
        }
        for (long i = 0; i < foreign.get(); i++) {
            checker.runnerViolation(Invariant.I9, "an event for a domain no client made");
        }
        for (long i = 0; i < foreignOffLoop.get(); i++) {
            checker.runnerViolation(Invariant.I9, "an event for a domain no client made, off the loop thread");
        }
        return new LibvirtReport(uri, clients, operations.get(), apiErrors.get(), expected, delivered, lost,
                duplicated, outOfOrder, offLoop, unexpected, latency.getValueAtPercentile(50),
                latency.getValueAtPercentile(99), latency.getMaxValue());
    }

    private static int indexOf(List<Call> expected, DomainEventType type) {
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i).causes == type) {
                return i;
            }
        }
        return -1;
    }
}
