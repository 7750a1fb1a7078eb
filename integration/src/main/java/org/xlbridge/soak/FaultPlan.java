package org.xlbridge.soak;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Which faults a soak injects and how often: {@code --faults default} (every kind at its
 * {@link FaultKind#defaultValue()}), {@code --faults none}, or a comma list that starts from the defaults
 * and changes some kinds, e.g. {@code reg-fail=0.01,libvirtd-restart=30,small-heap=off}. A probability is
 * in [0, 1]; a period or a run length is in seconds (a trailing {@code s} is allowed) and greater than 0;
 * {@code off} (or 0) disables a kind. Immutable.
 *
 * <p>Decisions are seeded: each workload draws from its own {@link SplittableRandom} made from the soak's
 * seed, so a rerun with the same seed makes the same choices in each thread (the interleaving still
 * differs).
 */
public final class FaultPlan {
    private final Map<FaultKind, Double> values;

    private FaultPlan(Map<FaultKind, Double> values) {
        this.values = Collections.unmodifiableMap(new EnumMap<>(values));
    }

    /** Every kind at its default. */
    public static FaultPlan defaults() {
        Map<FaultKind, Double> v = new EnumMap<>(FaultKind.class);
        for (FaultKind k : FaultKind.values()) {
            v.put(k, k.defaultValue());
        }
        return new FaultPlan(v);
    }

    /** No fault at all. */
    public static FaultPlan none() {
        Map<FaultKind, Double> v = new EnumMap<>(FaultKind.class);
        for (FaultKind k : FaultKind.values()) {
            v.put(k, 0.0);
        }
        return new FaultPlan(v);
    }

    /**
     * Parses {@code --faults}.
     *
     * @throws IllegalArgumentException naming the bad item
     */
    public static FaultPlan parse(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("default")) {
            return defaults();
        }
        if (spec.trim().equalsIgnoreCase("none")) {
            return none();
        }
        Map<FaultKind, Double> v = new EnumMap<>(defaults().values);
        for (String item : spec.split(",")) {
            String it = item.trim();
            if (it.isEmpty()) {
                continue;
            }
            int eq = it.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("fault '" + it + "': expected kind=value, e.g. reg-fail=0.01");
            }
            FaultKind kind = FaultKind.byKey(it.substring(0, eq));
            v.put(kind, value(kind, it.substring(eq + 1).trim()));
        }
        return new FaultPlan(v);
    }

    private static double value(FaultKind kind, String raw) {
        if (raw.equalsIgnoreCase("off")) {
            return 0.0;
        }
        String r = kind.shape() == FaultKind.Shape.PROBABILITY ? raw
                : raw.endsWith("s") ? raw.substring(0, raw.length() - 1) : raw;
        double d;
        try {
            d = Double.parseDouble(r);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fault " + kind.key() + "=" + raw + ": not a number");
        }
        if (Double.isNaN(d) || d < 0 || (kind.shape() == FaultKind.Shape.PROBABILITY && d > 1)) {
            throw new IllegalArgumentException("fault " + kind.key() + "=" + raw + ": expected "
                    + (kind.shape() == FaultKind.Shape.PROBABILITY ? "a probability in [0, 1]" : "seconds > 0")
                    + " or off");
        }
        return d;
    }

    /** This plan with {@code kind} set to {@code value} (0: off). */
    public FaultPlan with(FaultKind kind, double value) {
        Map<FaultKind, Double> v = new EnumMap<>(values);
        v.put(kind, value);
        return new FaultPlan(v);
    }

    /** True if {@code kind} is injected at all. */
    public boolean enabled(FaultKind kind) {
        return values.get(kind) > 0;
    }

    /** The probability, period or run length of {@code kind} (0: off). */
    public double value(FaultKind kind) {
        return values.get(kind);
    }

    /** For a {@link FaultKind.Shape#PERIOD_SECONDS} or {@link FaultKind.Shape#SECONDS_ONCE} kind: milliseconds (0: off). */
    public long millis(FaultKind kind) {
        return Math.round(values.get(kind) * 1000);
    }

    /** One seeded decision for a {@link FaultKind.Shape#PROBABILITY} kind: inject now? */
    public boolean roll(FaultKind kind, SplittableRandom random) {
        double p = values.get(kind);
        return p > 0 && random.nextDouble() < p;
    }

    /** The plan in the form {@link #parse} reads. */
    public String spec() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<FaultKind, Double> e : values.entrySet()) {
            b.append(b.length() == 0 ? "" : ",").append(e.getKey().key()).append('=');
            double d = e.getValue();
            b.append(d == 0 ? "off" : e.getKey().shape() == FaultKind.Shape.PROBABILITY ? Double.toString(d)
                    : (d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d)) + "s");
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return spec();
    }
}
