package org.xlbridge.host;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Per operation kind: outcomes and latency (call to return), recorded by many client threads.
 *
 * <p>Outcomes: {@code ok}; {@code timedOut} (a shutdown wait that ended in a destroy, or libxl's TIMEDOUT);
 * {@code aborted} (libxl's ABORTED: a destroy stopped it); {@code conflicts} (the guest changed the domain
 * under the client, e.g. it crashed, so the call found the wrong state: libvirt's OPERATION_INVALID);
 * {@code failed} (anything else).
 *
 * <p>Thread-safe: atomic counters and HdrHistogram {@link Recorder}s (made for concurrent recording).
 */
final class OpStats {
    enum Outcome { OK, TIMED_OUT, ABORTED, CONFLICT, FAILED }

    private final Map<OpKind, AtomicLongArray> counts = new EnumMap<>(OpKind.class);
    private final Map<OpKind, Recorder> latency = new EnumMap<>(OpKind.class);
    private final Map<OpKind, Histogram> total = new EnumMap<>(OpKind.class);

    OpStats() {
        for (OpKind k : OpKind.values()) {
            counts.put(k, new AtomicLongArray(Outcome.values().length));
            latency.put(k, new Recorder(3));
            total.put(k, new Histogram(3));
        }
    }

    void record(OpKind kind, Outcome outcome, long nanos) {
        counts.get(kind).incrementAndGet(outcome.ordinal());
        latency.get(kind).recordValue(Math.max(1, nanos / 1000));
    }

    long count(OpKind kind, Outcome outcome) {
        return counts.get(kind).get(outcome.ordinal());
    }

    long total(OpKind kind) {
        long n = 0;
        for (Outcome o : Outcome.values()) {
            n += count(kind, o);
        }
        return n;
    }

    long total() {
        long n = 0;
        for (OpKind k : OpKind.values()) {
            n += total(k);
        }
        return n;
    }

    /** Latency histogram in microseconds of everything recorded so far (call from one thread). */
    synchronized Histogram latencyMicros(OpKind kind) {
        Histogram h = total.get(kind);
        h.add(latency.get(kind).getIntervalHistogram());
        return h;
    }
}
