package org.xlbridge.race;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a race run saw.
 *
 * @param options               the run's settings
 * @param elapsed               wall time of the registering phase
 * @param registrations         events registered by workers
 * @param deregistrations       events deregistered by workers before they fired
 * @param eventsFired           event callbacks run
 * @param hookRegistrations     timeoutRegister hooks the bridge served
 * @param modifyAsapCalls       modify(ASAP) hooks
 * @param racesSeen             modify(ASAP) that found the registration already firing or done
 * @param legacyDeregisters     timeoutDeregister hooks (legacy protocol)
 * @param duplicateDispatches   second dispatches of one registration the bridge suppressed
 * @param staleOccurredDiscarded occurredTimeout calls the ctx discarded (deregistered events, closed ctx)
 * @param reentrancyProbes      occurred* calls made from inside a hook to test I6
 * @param latenessP50Micros     event lateness (callback time − deadline), median, µs
 * @param latenessP99Micros     99th percentile, µs
 * @param latenessMaxMicros     maximum, µs
 * @param violations            violations per invariant
 * @param samples               the first violations, described
 */
public record RaceReport(
        RaceOptions options,
        Duration elapsed,
        long registrations,
        long deregistrations,
        long eventsFired,
        long hookRegistrations,
        long modifyAsapCalls,
        long racesSeen,
        long legacyDeregisters,
        long duplicateDispatches,
        long staleOccurredDiscarded,
        long reentrancyProbes,
        long latenessP50Micros,
        long latenessP99Micros,
        long latenessMaxMicros,
        Map<Invariant, Long> violations,
        List<String> samples) {

    /** Violations over all invariants. */
    public long totalViolations() {
        return violations.values().stream().mapToLong(Long::longValue).sum();
    }

    /** True when no invariant was violated. */
    public boolean passed() {
        return totalViolations() == 0;
    }

    /** The report as a table for a terminal. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("xlbridge race: loop=%s protocol=%s dispatch-threads=%d workers=%d seed=%d duration=%ss%n",
                options.loop().cliName(), protocolName(), options.dispatchThreads(), options.workers(),
                options.seed(), elapsed.toMillis() / 1000.0));
        sb.append("+----------------------------------------+-----------------+\n");
        row(sb, "registrations (toolstack events)", registrations);
        row(sb, "deregistrations before firing", deregistrations);
        row(sb, "event callbacks run", eventsFired);
        row(sb, "timeoutRegister hooks", hookRegistrations);
        row(sb, "modify(ASAP) calls", modifyAsapCalls);
        row(sb, "races seen (modify while firing)", racesSeen);
        row(sb, "timeoutDeregister calls (legacy)", legacyDeregisters);
        row(sb, "duplicate dispatches suppressed", duplicateDispatches);
        row(sb, "stale occurred discarded by ctx", staleOccurredDiscarded);
        row(sb, "reentrancy probes (I6)", reentrancyProbes);
        sb.append(String.format("| %-38s | %15s |%n", "timer lateness p50 / p99 / max (µs)",
                latenessP50Micros + " / " + latenessP99Micros + " / " + latenessMaxMicros));
        sb.append("+----------------------------------------+-----------------+\n");
        for (Map.Entry<Invariant, Long> e : violations.entrySet()) {
            row(sb, "violations " + e.getKey().name() + " (" + shortName(e.getKey()) + ")", e.getValue());
        }
        sb.append("+----------------------------------------+-----------------+\n");
        if (!samples.isEmpty()) {
            sb.append("first violations:\n");
            for (String s : samples) {
                sb.append("  - ").append(s).append('\n');
            }
        }
        sb.append(passed() ? "result: PASS, no invariant violated\n"
                : "result: FAIL, " + totalViolations() + " violations\n");
        return sb.toString();
    }

    private String protocolName() {
        return switch (options.protocol()) {
            case ASAP_MODIFY -> "asap-modify";
            case LEGACY_DEREGISTER -> "legacy";
        };
    }

    private static String shortName(Invariant inv) {
        return switch (inv) {
            case I1 -> "exactly once";
            case I2 -> "no stale fire";
            case I3 -> "no use after free";
            case I4 -> "no leak";
            case I5 -> "liveness";
            case I6 -> "no reentrancy";
            case I7 -> "no deregister";
            case I8 -> "ids unique";
        };
    }

    private static void row(StringBuilder sb, String name, long value) {
        sb.append(String.format("| %-38s | %15d |%n", name, value));
    }
}
