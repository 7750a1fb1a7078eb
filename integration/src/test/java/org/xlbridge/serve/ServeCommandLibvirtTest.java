package org.xlbridge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;
import org.xlbridge.cli.XlbridgeMain;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.libxl.DeregistrationProtocol;
import picocli.CommandLine;

/**
 * {@code xlbridge serve} with the real virsh, on the embedded loop and on libvirt's own loop: it says when
 * it listens, virsh manages the simulated host through it, and stopping closes the clients, the driver and
 * the loop in libvirt's order, removes the socket and reports PASS. Runs in a JVM of its own (libvirt's
 * loop is process-wide). Needs virsh (libvirt-clients) and libvirt0; skips without, fails under CI=true.
 */
@Tag("libvirt-own-process")
class ServeCommandLibvirtTest {
    private static final Path VIRSH = Path.of("/usr/bin/virsh");

    private static void assumeVirsh() {
        if (Files.isExecutable(VIRSH)) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true and virsh is missing: .ci/run installs libvirt-clients");
        }
        Assumptions.abort("virsh not installed (Debian package libvirt-clients)");
    }

    private static String virsh(String uri, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(VIRSH.toString(), "-c", uri));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("virsh %s: %s", args, out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    @ParameterizedTest
    @EnumSource(value = LoopKind.class, names = {"EMBEDDED", "LIBVIRT"})
    void virshManagesTheHostThroughServeAndStopReportsPass(LoopKind loop) throws Exception {
        assumeVirsh();
        if (loop == LoopKind.LIBVIRT) {
            LibvirtAssumptions.assumeLibvirt();
        }
        Path dir = Files.createTempDirectory(Path.of("target"), "serve-");
        Path socket = dir.resolve("xl.sock").toAbsolutePath();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ServeRunner runner = new ServeRunner(new ServeOptions(socket, dir.resolve("ro.sock").toAbsolutePath(), loop,
                DeregistrationProtocol.ASAP_MODIFY, 3, "cooperative", 1, 50, 2000, null),
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        AtomicReference<ServeReport> report = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                report.set(runner.run());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "serve");
        t.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!buf.toString(StandardCharsets.UTF_8).contains("listening on") && t.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(buf.toString(StandardCharsets.UTF_8)).contains("xlbridge serve: listening on " + socket);
            String uri = "xen+unix:///system?socket=" + socket;
            assertThat(virsh(uri, "list", "--all")).contains("sim-1").contains("sim-2").contains("sim-3");
            virsh(uri, "start", "sim-1");
            virsh(uri, "shutdown", "sim-1");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!virsh(uri, "domstate", "sim-1").contains("shut off") && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            virsh(uri, "start", "sim-2");
            virsh(uri, "destroy", "sim-2");
            assertThat(virsh(uri, "domstate", "sim-2")).contains("shut off");
        } finally {
            runner.stop();
            t.join(60_000);
        }
        assertThat(t.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
        ServeReport r = report.get();
        assertThat(r.violations()).allSatisfy((k, v) -> assertThat(v).as(k).isZero());
        assertThat(r.passed()).isTrue();
        assertThat(r.daemon().callsByProcedure()).containsEntry("DOMAIN_CREATE", 2L).containsEntry("DOMAIN_DESTROY", 1L);
        assertThat(r.daemon().connectionsClosed()).isEqualTo(r.daemon().connectionsAccepted());
        assertThat(r.eventsProduced()).isEqualTo(r.eventsDeliveredToChecker()).isEqualTo(4);
        JsonNode json = r.json();
        for (String key : List.of("command", "loop", "protocol", "durationMs", "violations", "result", "calls")) {
            assertThat(json.has(key)).as(key).isTrue();
        }
        assertThat(json.get("loop").asText()).isEqualTo(loop.cliName());
        assertThat(socket).doesNotExist();
    }

    @Test
    void theCommandLineServesForItsDurationAndWritesItsJsonReport() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "serve-cli-");
        Path json = dir.resolve("report.json");
        int exit = new CommandLine(new XlbridgeMain()).execute("serve", "--socket", dir.resolve("x.sock").toString(),
                "--duration", "1s", "--domains", "2", "--json", json.toString());
        assertThat(exit).isZero();
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertThat(r.get("command").asText()).isEqualTo("serve");
        assertThat(r.get("result").asText()).isEqualTo("PASS");
        assertThat(r.get("violations").size()).isEqualTo(10);
        assertThat(new CommandLine(new XlbridgeMain()).execute("serve", "--socket", dir.resolve("y.sock").toString(),
                "--loop", "nonsense")).isEqualTo(2);
    }
}
