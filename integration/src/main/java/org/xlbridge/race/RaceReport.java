package org.xlbridge.race;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
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
 * @param libvirt               the libvirt clients' section, or null when the run had none
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
        List<String> samples,
        LibvirtReport libvirt) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Violations over all invariants. */
    public long totalViolations() {
        return violations.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * True when no invariant was violated and, with libvirt clients, they did what they were for: made
     * domain calls that caused events, and none of their calls failed (a run whose clients did nothing
     * would prove nothing about I9).
     */
    public boolean passed() {
        return totalViolations() == 0 && libvirtProblem() == null;
    }

    /** Why the libvirt clients' run proves nothing, or null when it is fine (or there were none). */
    public String libvirtProblem() {
        if (libvirt == null) {
            return null;
        }
        if (libvirt.eventsExpected() == 0) {
            return "the libvirt clients caused no event";
        }
        if (libvirt.apiErrors() > 0) {
            return libvirt.apiErrors() + " libvirt domain calls failed";
        }
        return null;
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
        if (libvirt != null) {
            sb.append(String.format("| %-38s | %15s |%n", "libvirt " + libvirt.uri(),
                    libvirt.clients() + " clients"));
            row(sb, "domain API calls", libvirt.operations());
            row(sb, "domain API calls failed", libvirt.apiErrors());
            row(sb, "events expected", libvirt.eventsExpected());
            row(sb, "events delivered", libvirt.eventsDelivered());
            row(sb, "events lost", libvirt.lost());
            row(sb, "events duplicated", libvirt.duplicated());
            row(sb, "events out of order", libvirt.outOfOrder());
            row(sb, "events off the loop thread", libvirt.offLoopThread());
            row(sb, "events no call caused", libvirt.unexpected());
            sb.append(String.format("| %-38s | %15s |%n", "event latency p50 / p99 / max (µs)",
                    libvirt.latencyP50Micros() + " / " + libvirt.latencyP99Micros() + " / "
                            + libvirt.latencyMaxMicros()));
            sb.append("+----------------------------------------+-----------------+\n");
        }
        for (Map.Entry<Invariant, Long> e : violations.entrySet()) {
            String name = "violations " + e.getKey().name() + " (" + shortName(e.getKey()) + ")";
            if (!e.getKey().checkedByRace()) {
                sb.append(String.format("| %-38s | %15s |%n", name, "not checked"));
            } else if (e.getKey() == Invariant.I9 && libvirt == null) {
                sb.append(String.format("| %-38s | %15s |%n", name, "no libvirt"));
            } else {
                row(sb, name, e.getValue());
            }
        }
        sb.append("+----------------------------------------+-----------------+\n");
        if (!samples.isEmpty()) {
            sb.append("first violations:\n");
            for (String s : samples) {
                sb.append("  - ").append(s).append('\n');
            }
        }
        if (passed()) {
            sb.append("result: PASS, no invariant violated\n");
        } else if (totalViolations() > 0) {
            sb.append("result: FAIL, " + totalViolations() + " violations\n");
        } else {
            sb.append("result: FAIL, " + libvirtProblem() + "\n");
        }
        return sb.toString();
    }

    /**
     * The report as JSON (SPEC's Reports section): {@code command}, {@code loop}, {@code protocol},
     * {@code durationMs}, {@code counts}, {@code violations} ({@code I1}…{@code I10}; I10 is 0 because the
     * race runs no asynchronous driver operation, so nothing counts it), {@code result}, and with libvirt
     * clients {@code libvirt}.
     */
    public ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("command", "race");
        root.put("loop", options.loop().cliName());
        root.put("protocol", protocolName());
        root.put("durationMs", elapsed.toMillis());
        root.put("dispatchThreads", options.dispatchThreads());
        root.put("workers", options.workers());
        root.put("seed", options.seed());
        ObjectNode counts = root.putObject("counts");
        counts.put("registrations", registrations);
        counts.put("deregistrations", deregistrations);
        counts.put("eventsFired", eventsFired);
        counts.put("hookRegistrations", hookRegistrations);
        counts.put("modifyAsapCalls", modifyAsapCalls);
        counts.put("racesSeen", racesSeen);
        counts.put("legacyDeregisters", legacyDeregisters);
        counts.put("duplicateDispatches", duplicateDispatches);
        counts.put("staleOccurredDiscarded", staleOccurredDiscarded);
        counts.put("reentrancyProbes", reentrancyProbes);
        counts.put("latenessP50Micros", latenessP50Micros);
        counts.put("latenessP99Micros", latenessP99Micros);
        counts.put("latenessMaxMicros", latenessMaxMicros);
        if (libvirt != null) {
            counts.put("libvirtClients", libvirt.clients());
            counts.put("libvirtApiErrors", libvirt.apiErrors());
            counts.put("libvirtUnexpectedEvents", libvirt.unexpected());
            counts.put("libvirtLatencyMaxMicros", libvirt.latencyMaxMicros());
        }
        ObjectNode v = root.putObject("violations");
        for (Invariant inv : Invariant.values()) {
            v.put(inv.name(), violations.getOrDefault(inv, 0L));
        }
        root.put("result", passed() ? "PASS" : "FAIL");
        if (libvirt != null) {
            ObjectNode lv = root.putObject("libvirt");
            lv.put("uri", libvirt.uri());
            lv.put("operations", libvirt.operations());
            lv.put("eventsExpected", libvirt.eventsExpected());
            lv.put("eventsDelivered", libvirt.eventsDelivered());
            lv.put("lost", libvirt.lost());
            lv.put("duplicated", libvirt.duplicated());
            lv.put("outOfOrder", libvirt.outOfOrder());
            lv.put("offLoopThread", libvirt.offLoopThread());
            ObjectNode latency = lv.putObject("latencyMicros");
            latency.put("p50", libvirt.latencyP50Micros());
            latency.put("p99", libvirt.latencyP99Micros());
        }
        return root;
    }

    /** Writes {@link #json()} to {@code file}. */
    public void writeJson(Path file) throws IOException {
        JSON.writeValue(file.toFile(), json());
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
            case I9 -> "events exact";
            case I10 -> "operations end once";
        };
    }

    private static void row(StringBuilder sb, String name, long value) {
        sb.append(String.format("| %-38s | %15d |%n", name, value));
    }
}
