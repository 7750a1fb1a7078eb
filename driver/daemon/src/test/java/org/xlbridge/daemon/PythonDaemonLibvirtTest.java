package org.xlbridge.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * An unmodified libvirt-python 9.0 client (/usr/bin/python3, Debian package python3-libvirt) on libvirt's
 * default event loop manages a domain through the daemon and receives its lifecycle events once, in order,
 * on its event-loop thread (src/test/resources/python/lifecycle.py).
 */
class PythonDaemonLibvirtTest {
    private static RunningDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        Tools.assumePythonLibvirt();
        daemon = RunningDaemon.start(new PollEventLoop(), "xl:///system?domains=1");
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void libvirtPythonManagesADomainAndGetsItsEvents() throws Exception {
        Path script = Path.of(PythonDaemonLibvirtTest.class.getResource("/python/lifecycle.py").toURI());
        ProcessBuilder pb = new ProcessBuilder(Tools.PYTHON.toString(), script.toString(), daemon.uri(), "py-vm");
        pb.environment().remove("LIBVIRT_DEFAULT_URI");
        Process p = pb.start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("python client finished").isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("python exit; stderr: %s", err).isZero();
            JsonNode r = new ObjectMapper().readTree(out);
            assertThat(r.get("type").asText()).isEqualTo("Xen");
            assertThat(r.get("state").asInt()).isEqualTo(1); // VIR_DOMAIN_RUNNING
            assertThat(r.get("vcpus").asInt()).isEqualTo(1);
            List<String> events = new ArrayList<>();
            for (JsonNode e : r.get("events")) {
                events.add(e.get("event").asInt() + "/" + e.get("detail").asInt());
                assertThat(e.get("thread").asText()).isEqualTo("libvirt-loop");
            }
            // DEFINED/ADDED, STARTED/BOOTED, SUSPENDED/PAUSED, RESUMED/UNPAUSED, STOPPED/DESTROYED, UNDEFINED/REMOVED
            assertThat(events).containsExactly("0/0", "2/0", "3/0", "4/0", "5/1", "1/0");
            assertThat(r.get("names").toString()).contains("sim-1").doesNotContain("py-vm");
        } finally {
            p.destroyForcibly();
        }
    }
}
