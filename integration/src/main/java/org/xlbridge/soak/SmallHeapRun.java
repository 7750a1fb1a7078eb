package org.xlbridge.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fault {@link FaultKind#SMALL_HEAP}: the same soak, every other fault kind included, in a child JVM with
 * {@code -Xmx64m}, so that a leak or a burst of garbage the large default heap would hide ends in an
 * {@code OutOfMemoryError} ({@code -XX:+ExitOnOutOfMemoryError} makes it an exit code, not a hang). Its
 * own plots are not drawn. Injected: the child started. Recovered: it exited 0 (no violation, no growing
 * series) and its JSON report says PASS. Its output goes to a log file beside the JSON.
 *
 * <p>Not thread-safe; the runner uses it from its own thread.
 */
final class SmallHeapRun {
    private static final Logger log = LoggerFactory.getLogger(SmallHeapRun.class);
    /** The heap the child gets. */
    static final String HEAP = "-Xmx64m";

    /** What the child did. */
    record Outcome(int exitCode, String result, long operations, long durationMs, Path log, Path json,
                   String problem) {
        boolean passed() {
            return exitCode == 0 && "PASS".equals(result);
        }
    }

    private final SoakOptions parent;
    private final Path dir;

    /**
     * @param parent the running soak's options (the child copies them, with its own seed and duration)
     * @param dir    where the child's JSON report and log go
     */
    SmallHeapRun(SoakOptions parent, Path dir) {
        this.parent = parent;
        this.dir = dir;
    }

    /** The child's command line. */
    List<String> command(Path json) {
        long seconds = Math.max(1, parent.faults().millis(FaultKind.SMALL_HEAP) / 1000);
        FaultPlan childFaults = parent.faults().with(FaultKind.SMALL_HEAP, 0);
        // The child's restarts must happen within its shorter run to be exercised at all.
        for (FaultKind k : new FaultKind[] {FaultKind.LIBVIRTD_RESTART, FaultKind.STATE_RESTART}) {
            if (childFaults.enabled(k)) {
                childFaults = childFaults.with(k, Math.min(childFaults.value(k), Math.max(1, seconds / 3)));
            }
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(HEAP);
        cmd.add("-XX:+ExitOnOutOfMemoryError");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.xlbridge.cli.XlbridgeMain");
        cmd.add("soak");
        cmd.add("--duration");
        cmd.add(seconds + "s");
        cmd.add("--sample");
        cmd.add("1s");
        cmd.add("--warmup");
        cmd.add(Math.max(1, seconds / 5) + "s");
        cmd.add("--loop");
        cmd.add(parent.loop().cliName());
        cmd.add("--protocol");
        cmd.add(parent.protocol() == org.xlbridge.libxl.DeregistrationProtocol.ASAP_MODIFY ? "asap-modify" : "legacy");
        cmd.add("--faults");
        cmd.add(childFaults.spec());
        cmd.add("--seed");
        cmd.add(Long.toString(parent.seed() + 1));
        cmd.add("--race-workers");
        cmd.add(Integer.toString(parent.raceWorkers()));
        cmd.add("--xl-clients");
        cmd.add(Integer.toString(parent.xlClients()));
        cmd.add("--xl-domains");
        cmd.add(Integer.toString(parent.xlDomains()));
        cmd.add("--libvirt-clients");
        cmd.add(Integer.toString(parent.libvirtClients()));
        cmd.add("--libvirt");
        cmd.add(parent.libvirt());
        cmd.add("--plots");
        cmd.add("none");
        cmd.add("--work-dir");
        cmd.add(dir.toAbsolutePath().toString());
        cmd.add("--json");
        cmd.add(json.toString());
        if (parent.idSpace() > 0) {
            cmd.add("--id-space");
            cmd.add(Integer.toString(parent.idSpace()));
        }
        return cmd;
    }

    /** Runs the child to its end (bounded: its duration plus two minutes). */
    Outcome run() throws InterruptedException {
        Path json = dir.resolve("small-heap-soak.json");
        Path out = dir.resolve("small-heap-soak.log");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(json);
        } catch (IOException e) {
            return new Outcome(-1, "FAIL", 0, 0, out, json, "cannot prepare " + dir + ": " + e.getMessage());
        }
        List<String> cmd = command(json);
        log.info("small-heap soak: {}", String.join(" ", cmd));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        } catch (IOException e) {
            return new Outcome(-1, "FAIL", 0, 0, out, json, "cannot start the child JVM: " + e.getMessage());
        }
        long limitMs = parent.faults().millis(FaultKind.SMALL_HEAP) + 120_000;
        if (!p.waitFor(limitMs, TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return new Outcome(-1, "FAIL", 0, 0, out, json, "the child did not end within " + limitMs / 1000
                    + " s (killed); see " + out);
        }
        int code = p.exitValue();
        if (!Files.exists(json)) {
            return new Outcome(code, "FAIL", 0, 0, out, json, "the child exited " + code
                    + " without a report (exit 3 is OutOfMemoryError); see " + out);
        }
        try {
            JsonNode r = new ObjectMapper().readTree(json.toFile());
            return new Outcome(code, r.path("result").asText("FAIL"), r.path("operations").asLong(),
                    r.path("durationMs").asLong(), out, json, code == 0 ? null : "the child exited " + code + "; see " + out);
        } catch (IOException e) {
            return new Outcome(code, "FAIL", 0, 0, out, json, "unreadable child report " + json + ": " + e.getMessage());
        }
    }
}
