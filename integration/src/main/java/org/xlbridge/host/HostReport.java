package org.xlbridge.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xlbridge.daemon.server.DaemonStats;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.xl.XlStats;
import org.xlbridge.libxl.ao.DomainsStats;

/**
 * The result of {@code xlbridge host}: a table for people and the same figures as JSON (SPEC Reports:
 * {@code command, loop, protocol, durationMs, violations, result}, and {@code operations},
 * {@code events = {expected, delivered, lost, duplicated}}, {@code racesSeen}).
 *
 * <p>{@code daemon}: the daemon's figures when the run went over it ({@link HostOptions#overDaemon()}), else
 * null (JSON {@code "daemon": null}). The libxl, bridge and driver figures are the xl driver's, which over
 * the daemon is the daemon's (same process).
 */
public record HostReport(HostOptions options, long durationMs, OperationTable operations, EventCounts events,
        long shutdownWaitsByGuest, long shutdownWaitsByTimeout, BridgeStats bridge, DomainsStats libxl,
        XlStats driver, DaemonStats.Snapshot daemon, Map<String, Long> violations, List<String> notes) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Every invariant's key, in order; those {@code host} cannot observe are reported 0 and named in the notes. */
    static final List<String> INVARIANTS = List.of("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "I9", "I10");

    /** Per operation kind: counts by outcome and latency percentiles in microseconds. */
    public record OperationRow(String kind, long ok, long timedOut, long aborted, long conflicts, long failed,
            long p50Micros, long p99Micros) {
        long total() {
            return ok + timedOut + aborted + conflicts + failed;
        }
    }

    /** The operation rows in {@link OpKind} order. */
    public record OperationTable(List<OperationRow> rows) {
        long total() {
            return rows.stream().mapToLong(OperationRow::total).sum();
        }
    }

    public long totalViolations() {
        return violations.values().stream().mapToLong(Long::longValue).sum();
    }

    public boolean passed() {
        return totalViolations() == 0;
    }

    public long racesSeen() {
        return bridge.modifyWhileFiring();
    }

    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%nxlbridge host: %d domains, %d clients%s, %s loop, %s, %d ms, seed %d%n",
                options.domains(), options.clients(),
                options.overDaemon() ? " over the daemon (libvirt-java, xen+unix://)" : "",
                options.loop().cliName(), protocolName(), durationMs, options.seed()));
        sb.append(String.format("%-14s %8s %8s %8s %9s %8s %10s %10s%n", "operation", "ok", "timeout", "aborted",
                "conflict", "failed", "p50 ms", "p99 ms"));
        for (OperationRow r : operations.rows()) {
            sb.append(String.format("%-14s %8d %8d %8d %9d %8d %10.2f %10.2f%n", r.kind(), r.ok(), r.timedOut(),
                    r.aborted(), r.conflicts(), r.failed(), r.p50Micros() / 1000.0, r.p99Micros() / 1000.0));
        }
        sb.append(String.format("operations: %d (%.0f/s)%n", operations.total(),
                operations.total() * 1000.0 / Math.max(1, durationMs)));
        sb.append(String.format("lifecycle events: expected %d, delivered %d, lost %d, duplicated %d, out of order %d,"
                + " off the loop thread %d%n", events.expected(), events.delivered(), events.lost(), events.duplicated(),
                events.outOfOrder(), events.offLoopThread()));
        sb.append(String.format("two connections' sequences: %d positions compared, %d different%n",
                events.comparedAcrossConnections(), events.differentAcrossConnections()));
        if (daemon != null) {
            sb.append(String.format("daemon: %d connections, %d calls, events sent %d, errors sent %d (NO_SUPPORT %d);"
                    + " dropped: %d keepalive, %d output overflow, %d bad frames%n", daemon.connectionsAccepted(),
                    daemonCalls(), daemon.eventsSent(), daemon.errorsSent(), daemon.noSupportAnswers(),
                    daemon.keepaliveDrops(), daemon.outputOverflowDrops(), daemon.badFrames()));
        }
        sb.append(String.format("shutdown waits: ended by the guest %d, by the timeout (then destroyed) %d%n",
                shutdownWaitsByGuest, shutdownWaitsByTimeout));
        sb.append(String.format("libxl: operations %d started, %d completed, %d timed out, %d aborted; shutdown aos "
                + "answered %d, timed out %d; events %d, on_* actions %d%n", libxl.started(), libxl.completed(),
                libxl.timedOut(), libxl.aborted(), driver.shutdownsAnswered(), driver.shutdownsTimedOut(),
                driver.libxlEvents(), driver.actionsApplied()));
        sb.append(String.format("bridge: %d timeouts registered, %d modify(ASAP), races seen (ASAP met a running "
                + "dispatch) %d, legacy deregisters %d%n", bridge.timeoutsRegistered(), bridge.modifyAsapCalls(),
                racesSeen(), bridge.legacyDeregisterCalls()));
        sb.append("violations:");
        for (String k : INVARIANTS) {
            sb.append(' ').append(k).append('=').append(violations.getOrDefault(k, 0L));
        }
        sb.append('\n');
        for (String n : notes) {
            sb.append("note: ").append(n).append('\n');
        }
        sb.append("result: ").append(passed() ? "PASS" : "FAIL").append('\n');
        return sb.toString();
    }

    private long daemonCalls() {
        return daemon.callsByProcedure().values().stream().mapToLong(Long::longValue).sum();
    }

    String protocolName() {
        return switch (options.protocol()) {
            case ASAP_MODIFY -> "asap-modify";
            case LEGACY_DEREGISTER -> "legacy";
        };
    }

    public ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("command", "host");
        root.put("loop", options.loop().cliName());
        root.put("protocol", protocolName());
        root.put("durationMs", durationMs);
        root.put("domains", options.domains());
        root.put("clients", options.clients());
        root.put("seed", options.seed());
        root.put("overDaemon", options.overDaemon());
        ObjectNode ops = root.putObject("operations");
        for (OperationRow r : operations.rows()) {
            ObjectNode o = ops.putObject(r.kind());
            o.put("ok", r.ok());
            o.put("timedOut", r.timedOut());
            o.put("aborted", r.aborted());
            o.put("conflicts", r.conflicts());
            o.put("failed", r.failed());
            o.put("p50Micros", r.p50Micros());
            o.put("p99Micros", r.p99Micros());
        }
        ObjectNode ev = root.putObject("events");
        ev.put("expected", events.expected());
        ev.put("delivered", events.delivered());
        ev.put("lost", events.lost());
        ev.put("duplicated", events.duplicated());
        ev.put("outOfOrder", events.outOfOrder());
        ev.put("offLoopThread", events.offLoopThread());
        ev.put("comparedAcrossConnections", events.comparedAcrossConnections());
        ev.put("differentAcrossConnections", events.differentAcrossConnections());
        ObjectNode waits = root.putObject("shutdownWaits");
        waits.put("byGuest", shutdownWaitsByGuest);
        waits.put("byTimeout", shutdownWaitsByTimeout);
        root.put("racesSeen", racesSeen());
        if (daemon == null) {
            root.putNull("daemon");
        } else {
            ObjectNode dm = root.putObject("daemon");
            dm.put("connectionsAccepted", daemon.connectionsAccepted());
            dm.put("calls", daemonCalls());
            dm.put("eventsSent", daemon.eventsSent());
            dm.put("errorsSent", daemon.errorsSent());
            dm.put("noSupport", daemon.noSupportAnswers());
            dm.put("keepaliveDrops", daemon.keepaliveDrops());
            dm.put("outputOverflowDrops", daemon.outputOverflowDrops());
            dm.put("badFrames", daemon.badFrames());
            dm.put("repliesForGoneClients", daemon.repliesDropped());
        }
        ObjectNode lx = root.putObject("libxl");
        lx.put("started", libxl.started());
        lx.put("completed", libxl.completed());
        lx.put("timedOut", libxl.timedOut());
        lx.put("aborted", libxl.aborted());
        lx.put("doubleCompletions", libxl.doubleCompletions());
        lx.put("lateCallbacks", libxl.lateCallbacks());
        lx.put("earlyTimeouts", libxl.earlyTimeouts());
        lx.put("events", driver.libxlEvents());
        ObjectNode br = root.putObject("bridge");
        br.put("timeoutsRegistered", bridge.timeoutsRegistered());
        br.put("modifyAsapCalls", bridge.modifyAsapCalls());
        br.put("legacyDeregisterCalls", bridge.legacyDeregisterCalls());
        br.put("duplicateDispatches", bridge.duplicateDispatches());
        ObjectNode v = root.putObject("violations");
        for (String k : INVARIANTS) {
            v.put(k, violations.getOrDefault(k, 0L));
        }
        root.put("result", passed() ? "PASS" : "FAIL");
        root.putArray("notes").addAll(notes.stream().map(JSON.getNodeFactory()::textNode).toList());
        return root;
    }

    public void writeJson(Path file) throws IOException {
        JSON.writeValue(file.toFile(), json());
    }

    static Map<String, Long> emptyViolations() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String k : INVARIANTS) {
            m.put(k, 0L);
        }
        return m;
    }
}
