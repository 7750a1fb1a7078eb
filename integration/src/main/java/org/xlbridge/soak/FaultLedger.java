package org.xlbridge.soak;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts, per {@link FaultKind}: faults injected; faults recovered from (the system was seen working
 * again after the fault: what "recovered" means for each kind is written where the fault is injected);
 * and what the faults cost a user: operations that failed with a clear error because of a fault. Costs
 * are not violations: a violation is an invariant broken, a cost is an error the user was told about.
 *
 * <p>Thread-safe: every counter is a {@link LongAdder}; the maps are filled once in the constructor.
 */
public final class FaultLedger {
    /** One kind's counts. */
    public record Counts(long injected, long recovered, long failedOperations) { }

    private final Map<FaultKind, LongAdder> injected = new EnumMap<>(FaultKind.class);
    private final Map<FaultKind, LongAdder> recovered = new EnumMap<>(FaultKind.class);
    private final Map<FaultKind, LongAdder> failed = new EnumMap<>(FaultKind.class);

    public FaultLedger() {
        for (FaultKind k : FaultKind.values()) {
            injected.put(k, new LongAdder());
            recovered.put(k, new LongAdder());
            failed.put(k, new LongAdder());
        }
    }

    /** A fault of {@code kind} was injected. */
    public void injected(FaultKind kind) {
        injected.get(kind).increment();
    }

    /** The system was seen working again after a fault of {@code kind}. */
    public void recovered(FaultKind kind) {
        recovered.get(kind).increment();
    }

    /** An operation failed with a clear error because of a fault of {@code kind}. */
    public void failedOperation(FaultKind kind) {
        failed.get(kind).increment();
    }

    /** Adds {@code n} operations failed by a fault of {@code kind}. */
    public void failedOperations(FaultKind kind, long n) {
        failed.get(kind).add(n);
    }

    /** The counts of one kind now. */
    public Counts counts(FaultKind kind) {
        return new Counts(injected.get(kind).sum(), recovered.get(kind).sum(), failed.get(kind).sum());
    }

    /** Every kind's counts now, in {@link FaultKind} order. */
    public Map<FaultKind, Counts> snapshot() {
        Map<FaultKind, Counts> m = new EnumMap<>(FaultKind.class);
        for (FaultKind k : FaultKind.values()) {
            m.put(k, counts(k));
        }
        return m;
    }
}
