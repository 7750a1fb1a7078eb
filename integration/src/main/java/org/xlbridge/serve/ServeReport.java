package org.xlbridge.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.xlbridge.daemon.server.DaemonStats;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * {@code xlbridge serve}'s report: connections, calls per procedure, events sent, errors, keepalive, and
 * I1-I10, as a table and as JSON (keys: command, loop, protocol, durationMs, ..., violations, result).
 */
public record ServeReport(ServeOptions options, long durationMs, DaemonStats.Snapshot daemon, long eventsProduced,
        long eventsDeliveredToChecker, Map<String, Long> violations, List<String> notes) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public long totalViolations() {
        return violations.values().stream().mapToLong(Long::longValue).sum();
    }

    public boolean passed() {
        return totalViolations() == 0;
    }

    private String protocolName() {
        return options.protocol() == DeregistrationProtocol.ASAP_MODIFY ? "asap-modify" : "legacy";
    }

    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("xlbridge serve: %d ms on the %s loop (%s)%n", durationMs, options.loop().cliName(),
                protocolName()));
        sb.append(String.format("  connections: %d accepted, %d opened, %d closed%n", daemon.connectionsAccepted(),
                daemon.connectionsOpen(), daemon.connectionsClosed()));
        sb.append(String.format("  events sent %d, errors sent %d (NO_SUPPORT %d), pings %d in / %d out%n",
                daemon.eventsSent(), daemon.errorsSent(), daemon.noSupportAnswers(), daemon.pingsReceived(),
                daemon.pingsSent()));
        sb.append(String.format("  dropped: %d keepalive, %d output overflow, %d bad frames; %d replies for gone clients%n",
                daemon.keepaliveDrops(), daemon.outputOverflowDrops(), daemon.badFrames(), daemon.repliesDropped()));
        sb.append("  calls:\n");
        daemon.callsByProcedure().forEach((k, n) -> sb.append(String.format("    %-46s %d%n", k, n)));
        sb.append("  violations:");
        violations.forEach((k, n) -> sb.append(' ').append(k).append('=').append(n));
        sb.append(String.format("%n  result: %s%n", passed() ? "PASS" : "FAIL"));
        notes.forEach(n -> sb.append("  note: ").append(n).append('\n'));
        return sb.toString();
    }

    public ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("command", "serve");
        root.put("loop", options.loop().cliName());
        root.put("protocol", protocolName());
        root.put("durationMs", durationMs);
        root.put("socket", options.socket().toAbsolutePath().toString());
        root.put("domains", options.domains());
        ObjectNode c = root.putObject("connections");
        c.put("accepted", daemon.connectionsAccepted());
        c.put("opened", daemon.connectionsOpen());
        c.put("closed", daemon.connectionsClosed());
        ObjectNode calls = root.putObject("calls");
        daemon.callsByProcedure().forEach(calls::put);
        ObjectNode ev = root.putObject("events");
        ev.put("sent", daemon.eventsSent());
        ev.put("produced", eventsProduced);
        ev.put("deliveredToChecker", eventsDeliveredToChecker);
        ObjectNode err = root.putObject("errors");
        err.put("sent", daemon.errorsSent());
        err.put("noSupport", daemon.noSupportAnswers());
        ObjectNode ka = root.putObject("keepalive");
        ka.put("pingsReceived", daemon.pingsReceived());
        ka.put("pingsSent", daemon.pingsSent());
        ka.put("drops", daemon.keepaliveDrops());
        ObjectNode drops = root.putObject("drops");
        drops.put("outputOverflow", daemon.outputOverflowDrops());
        drops.put("badFrames", daemon.badFrames());
        drops.put("repliesForGoneClients", daemon.repliesDropped());
        ObjectNode v = root.putObject("violations");
        violations.forEach(v::put);
        root.put("result", passed() ? "PASS" : "FAIL");
        root.putArray("notes").addAll(notes.stream().map(JSON.getNodeFactory()::textNode).toList());
        return root;
    }

    public void writeJson(Path file) throws IOException {
        JSON.writeValue(file.toFile(), json());
    }
}
