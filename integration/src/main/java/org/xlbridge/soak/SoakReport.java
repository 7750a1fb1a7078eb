package org.xlbridge.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of {@code xlbridge soak}: a table for people and the same figures as JSON (SPEC Reports:
 * {@code command, loop, protocol, durationMs, violations, result}) plus {@code operations},
 * {@code faults = {kind: {injected, recovered, failedOperations}}}, {@code leaks = {series: "flat" |
 * "growing" | "unchecked"}}, {@code samples}, {@code workloads}, {@code plots}, {@code notes}, and
 * {@code idWraps = {timerIds, watchIds, domids}} (how often each int id counter wrapped to 1) with
 * {@code idSpaces} (each counter's last id) and {@code idsHandedOut}.
 *
 * <p>Result: PASS iff no invariant was violated and no series grew. An unchecked series (too few samples
 * after warm-up, or not measured) does not fail the run, but it is not "flat" either: the JSON says
 * {@code "unchecked"}, {@code leakCheck} says why, and a note repeats it.
 *
 * @param settings   the run's settings
 * @param durationMs wall time of the load
 * @param operations operations completed (all workloads)
 * @param violations violations by invariant key ({@code I1}…{@code I10}); missing keys are 0
 * @param faults     the fault ledger's counts at the end
 * @param leaks      the leak verdicts, one per {@link LeakSeries}
 * @param samples    the samples taken
 * @param workloads  one line per workload
 * @param plots      the PNG files written (empty when none)
 * @param notes      anything a reader must know (a fault kind never injected, a weakened System.gc() ...)
 * @param failures   what failed the run besides violations and growing series (the small-heap child run
 *                   failing, plots that could not be written); empty when nothing did
 * @param wraps      the int id counters' wraps ({@link Wraps#NONE} when not counted)
 */
public record SoakReport(Settings settings, long durationMs, long operations, Map<String, Long> violations,
        Map<FaultKind, FaultLedger.Counts> faults, List<LeakVerdict> leaks, List<SoakSample> samples,
        List<WorkloadSummary> workloads, List<Path> plots, List<String> notes, List<String> failures,
        Wraps wraps) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Every invariant's key, in order. */
    public static final List<String> INVARIANTS = List.of("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "I9", "I10");

    /**
     * A soak's settings as the report shows them.
     *
     * @param loop             the loop's command-line name ({@code embedded}, {@code libvirt})
     * @param protocol         {@code asap-modify} or {@code legacy}
     * @param seed             the soak's seed
     * @param faults           the fault plan ({@link FaultPlan#spec()} form)
     * @param duration         the requested duration, or null when the run was bounded by operations
     * @param operationsTarget the requested operations, or 0 when bounded by duration
     * @param samplePeriod     the period of the samples
     * @param warmUp           samples before this are left out of the leak verdicts
     */
    public record Settings(String loop, String protocol, long seed, String faults, Duration duration,
            long operationsTarget, Duration samplePeriod, Duration warmUp) {
        public Settings {
            if (loop == null || protocol == null || faults == null || samplePeriod == null || warmUp == null) {
                throw new IllegalArgumentException("soak report settings: null loop, protocol, faults, sample"
                        + " period or warm-up");
            }
        }
    }

    /**
     * One workload's line.
     *
     * @param name       {@link Workload#name()}
     * @param operations {@link Workload#operations()} at the end
     * @param summary    {@link Workload#summary()}
     */
    public record WorkloadSummary(String name, long operations, String summary) {
        /** The line of a finished workload. */
        public static WorkloadSummary of(Workload w) {
            return new WorkloadSummary(w.name(), w.operations(), w.summary());
        }
    }

    /**
     * The int counters' wraps: how often each wrapped from its last id to 1 during the run.
     *
     * @param spaces    the last id of each counter's space (2,147,483,647 for the loops' ids, 32,751 for
     *                  domids, unless wrap mode shrank them)
     * @param wraps     wraps by counter ({@code timerIds}, {@code watchIds}, {@code domids}); -1: not known
     * @param handedOut ids handed out by counter, where counted
     */
    public record Wraps(Map<String, Long> spaces, Map<String, Long> wraps, Map<String, Long> handedOut) {
        /** No counters reported. */
        public static final Wraps NONE = new Wraps(Map.of(), Map.of(), Map.of());

        public Wraps {
            spaces = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(spaces));
            wraps = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(wraps));
            handedOut = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(handedOut));
        }
    }

    /** Copies the collections, so the report does not change after it is made. */
    public SoakReport {
        if (settings == null || violations == null || faults == null || leaks == null || samples == null
                || workloads == null || plots == null || notes == null || failures == null || wraps == null) {
            throw new IllegalArgumentException("soak report: null argument");
        }
        violations = Map.copyOf(violations);
        faults = new EnumMap<>(faults);
        leaks = List.copyOf(leaks);
        samples = List.copyOf(samples);
        workloads = List.copyOf(workloads);
        plots = List.copyOf(plots);
        notes = List.copyOf(notes);
        failures = List.copyOf(failures);
    }

    /** This report with {@code failure} added to {@link #failures()}. */
    public SoakReport withFailure(String failure) {
        List<String> f = new ArrayList<>(failures);
        f.add(failure);
        return new SoakReport(settings, durationMs, operations, violations, faults, leaks, samples, workloads, plots,
                notes, f, wraps);
    }

    /** This report with the plots that were written. */
    public SoakReport withPlots(List<Path> written) {
        return new SoakReport(settings, durationMs, operations, violations, faults, leaks, samples, workloads,
                written, notes, failures, wraps);
    }

    /** This report with the counters' wraps. */
    public SoakReport withWraps(Wraps counted) {
        return new SoakReport(settings, durationMs, operations, violations, faults, leaks, samples, workloads,
                plots, notes, failures, counted);
    }

    /**
     * A report from a ledger; adds the notes the figures call for: fault kinds enabled but never
     * injected, unchecked leak series.
     */
    public static SoakReport of(Settings settings, long durationMs, long operations, Map<String, Long> violations,
            FaultLedger ledger, FaultPlan plan, List<LeakVerdict> leaks, List<SoakSample> samples,
            List<WorkloadSummary> workloads, List<Path> plots, List<String> notes) {
        Map<FaultKind, FaultLedger.Counts> counts = ledger.snapshot();
        List<String> all = new ArrayList<>(notes);
        for (FaultKind k : FaultKind.values()) {
            if (plan.enabled(k) && counts.get(k).injected() == 0) {
                all.add("fault " + k.key() + " was enabled but never injected (run longer)");
            }
        }
        for (LeakVerdict v : leaks) {
            if (v.outcome() == LeakVerdict.Outcome.UNCHECKED) {
                all.add(v.message());
            }
        }
        return new SoakReport(settings, durationMs, operations, violations, counts, leaks, samples, workloads,
                plots, all, List.of(), Wraps.NONE);
    }

    /** Violations over all invariants. */
    public long totalViolations() {
        return violations.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The series that grew. */
    public List<LeakVerdict> growing() {
        return leaks.stream().filter(LeakVerdict::growing).toList();
    }

    /** PASS iff no violation, no growing series and no other failure. */
    public boolean passed() {
        return totalViolations() == 0 && growing().isEmpty() && failures.isEmpty();
    }

    /** Post-warm-up samples the verdicts judged (the same for every series). */
    private int judgedSamples() {
        return leaks.isEmpty() ? 0 : leaks.get(0).samples();
    }

    private boolean leakCheckComplete() {
        return judgedSamples() >= LeakVerdict.MIN_SAMPLES;
    }

    /** The report as a table for a terminal. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nxlbridge soak: loop=%s protocol=%s seed=%d %s, %d ms%n",
                settings.loop(), settings.protocol(), settings.seed(),
                settings.duration() != null ? "duration=" + settings.duration().toSeconds() + "s"
                        : "operations=" + settings.operationsTarget(), durationMs));
        sb.append("faults: ").append(settings.faults()).append('\n');
        sb.append(String.format(Locale.ROOT, "operations: %,d (%,.0f/s), samples: %d every %s ms, warm-up %d s%n",
                operations, operations * 1000.0 / Math.max(1, durationMs), samples.size(),
                settings.samplePeriod().toMillis(), settings.warmUp().toSeconds()));
        for (WorkloadSummary w : workloads) {
            sb.append(String.format(Locale.ROOT, "  %-8s %,14d ops  %s%n", w.name(), w.operations(), w.summary()));
        }
        sb.append(String.format("%n%-18s %10s %10s %12s%n", "fault", "injected", "recovered", "failed ops"));
        for (Map.Entry<FaultKind, FaultLedger.Counts> e : faults.entrySet()) {
            FaultLedger.Counts c = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-18s %10d %10d %12d%n", e.getKey().key(), c.injected(),
                    c.recovered(), c.failedOperations()));
        }
        sb.append(String.format("%n%-20s %16s %16s %10s%n", "series", "first third", "last third", "verdict"));
        for (LeakVerdict v : leaks) {
            boolean judged = v.outcome() != LeakVerdict.Outcome.UNCHECKED;
            sb.append(String.format(Locale.ROOT, "%-20s %16s %16s %10s%n", v.series().key(),
                    judged ? LeakVerdict.fmt(v.series(), v.firstMean()) : "-",
                    judged ? LeakVerdict.fmt(v.series(), v.lastMean()) : "-", v.outcome().key()));
        }
        for (LeakVerdict v : growing()) {
            sb.append("GROWING: ").append(v.message()).append('\n');
        }
        if (!wraps.wraps().isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%nid wraps:"));
            wraps.wraps().forEach((k, n) -> {
                Long given = wraps.handedOut().get(k);
                Long space = wraps.spaces().get(k);
                sb.append(' ').append(k).append('=').append(n).append(" (");
                if (given != null) {
                    sb.append(String.format(Locale.ROOT, "%,d handed out, ", given));
                }
                sb.append(space != null ? String.format(Locale.ROOT, "ids 1..%,d)", space) : "space unknown)");
            });
            sb.append('\n');
        }
        sb.append("\nviolations:");
        for (String k : INVARIANTS) {
            sb.append(' ').append(k).append('=').append(violations.getOrDefault(k, 0L));
        }
        sb.append('\n');
        if (!plots.isEmpty()) {
            sb.append("plots:");
            for (Path p : plots) {
                sb.append(' ').append(p);
            }
            sb.append('\n');
        }
        for (String n : notes) {
            sb.append("note: ").append(n).append('\n');
        }
        sb.append("result: ").append(passed() ? "PASS" : "FAIL");
        if (!passed()) {
            List<String> why = new ArrayList<>();
            if (totalViolations() > 0) {
                why.add(totalViolations() + " violations");
            }
            for (LeakVerdict v : growing()) {
                why.add(v.series().key() + " growing");
            }
            why.addAll(failures);
            sb.append(", ").append(String.join(", ", why));
        }
        sb.append('\n');
        return sb.toString();
    }

    /** The report as JSON (see the class comment for the keys). */
    public ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("command", "soak");
        root.put("loop", settings.loop());
        root.put("protocol", settings.protocol());
        root.put("durationMs", durationMs);
        root.put("seed", settings.seed());
        root.put("faultPlan", settings.faults());
        if (settings.duration() != null) {
            root.put("requestedDurationMs", settings.duration().toMillis());
        } else {
            root.put("requestedOperations", settings.operationsTarget());
        }
        root.put("samplePeriodMs", settings.samplePeriod().toMillis());
        root.put("warmUpMs", settings.warmUp().toMillis());
        root.put("operations", operations);
        ObjectNode v = root.putObject("violations");
        for (String k : INVARIANTS) {
            v.put(k, violations.getOrDefault(k, 0L));
        }
        ObjectNode ids = root.putObject("idWraps");
        wraps.wraps().forEach(ids::put);
        ObjectNode spaces = root.putObject("idSpaces");
        wraps.spaces().forEach(spaces::put);
        ObjectNode given = root.putObject("idsHandedOut");
        wraps.handedOut().forEach(given::put);
        ObjectNode f = root.putObject("faults");
        for (Map.Entry<FaultKind, FaultLedger.Counts> e : faults.entrySet()) {
            ObjectNode k = f.putObject(e.getKey().key());
            k.put("injected", e.getValue().injected());
            k.put("recovered", e.getValue().recovered());
            k.put("failedOperations", e.getValue().failedOperations());
        }
        ObjectNode l = root.putObject("leaks");
        for (LeakVerdict lv : leaks) {
            l.put(lv.series().key(), lv.outcome().key());
        }
        ObjectNode check = root.putObject("leakCheck");
        check.put("complete", leakCheckComplete());
        check.put("samplesAfterWarmUp", judgedSamples());
        check.put("samplesNeeded", LeakVerdict.MIN_SAMPLES);
        ObjectNode means = check.putObject("means");
        for (LeakVerdict lv : leaks) {
            if (lv.outcome() != LeakVerdict.Outcome.UNCHECKED) {
                ObjectNode m = means.putObject(lv.series().key());
                m.put("firstThird", lv.firstMean());
                m.put("lastThird", lv.lastMean());
                m.put("unit", lv.series().unit());
            }
        }
        root.put("samples", samples.size());
        if (!samples.isEmpty()) {
            SoakSample last = samples.get(samples.size() - 1);
            ObjectNode ls = root.putObject("lastSample");
            ls.put("elapsedMs", last.elapsedMs());
            ls.put("heapUsedBytes", last.heapUsedBytes());
            ls.put("liveThreads", last.liveThreads());
            ls.put("openFds", last.openFds());
            ls.put("loopRegistrations", last.loopRegistrations());
            ls.put("bridgeRegistrations", last.bridgeRegistrations());
            ls.put("busyNexi", last.busyNexi());
            ls.put("pendingOperations", last.pendingOperations());
            ls.put("latenessP99Micros", last.latenessP99Micros());
            ls.put("controlLatenessP99Micros", last.controlLatenessP99Micros());
            ls.put("loopLatenessP99Micros", last.loopLatenessP99Micros());
        }
        ObjectNode w = root.putObject("workloads");
        for (WorkloadSummary ws : workloads) {
            ObjectNode o = w.putObject(ws.name());
            o.put("operations", ws.operations());
            o.put("summary", ws.summary());
        }
        ArrayNode p = root.putArray("plots");
        for (Path file : plots) {
            p.add(file.toString());
        }
        root.put("result", passed() ? "PASS" : "FAIL");
        ArrayNode fl = root.putArray("failures");
        failures.forEach(fl::add);
        ArrayNode n = root.putArray("notes");
        notes.forEach(n::add);
        return root;
    }

    /** Writes {@link #json()} to {@code file}. */
    public void writeJson(Path file) throws IOException {
        JSON.writeValue(file.toFile(), json());
    }

    /** Violations with every invariant at 0, in order (a start for the runner's map). */
    public static Map<String, Long> noViolations() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String k : INVARIANTS) {
            m.put(k, 0L);
        }
        return m;
    }
}
