package org.xlbridge.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The real {@code virsh} 9.0 against the daemon ({@code xen+unix:///system?socket=...}) on the embedded
 * loop: the whole lifecycle a host administrator scripts, and {@code virsh event --all --loop} printing the
 * lifecycle events another virsh causes. Skips without virsh (Debian package libvirt-clients); .ci/run
 * installs it and fails under CI=true if this class skipped.
 */
class VirshDaemonLibvirtTest {
    private static RunningDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        Tools.assumeVirsh();
        daemon = RunningDaemon.start(new PollEventLoop(), "xl:///system?domains=2");
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static String xml(String name) {
        return "<domain type='xen'><name>" + name + "</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
                + "<os><type>linux</type></os><devices/></domain>";
    }

    @Test
    void listAllShowsTheSimulatedHostsDomains() throws Exception {
        Virsh.Result r = Virsh.run(daemon.uri(), "list", "--all").ok();
        assertThat(r.out()).contains("sim-1").contains("sim-2").contains("shut off");
    }

    @Test
    void theWholeLifecycleThroughVirsh() throws Exception {
        Path file = Files.createTempFile("vm", ".xml");
        Files.writeString(file, xml("virsh-vm"));
        String uri = daemon.uri();
        assertThat(Virsh.run(uri, "define", file.toString()).ok().out()).contains("virsh-vm");
        assertThat(Virsh.run(uri, "start", "virsh-vm").ok().out()).contains("started");
        Virsh.Result info = Virsh.run(uri, "dominfo", "virsh-vm").ok();
        assertThat(info.out()).contains("running").contains("OS Type:        xen").contains("Persistent:     yes");
        assertThat(Virsh.run(uri, "dumpxml", "virsh-vm").ok().out()).contains("<name>virsh-vm</name>");
        Virsh.run(uri, "suspend", "virsh-vm").ok();
        assertThat(Virsh.run(uri, "domstate", "virsh-vm").ok().out()).contains("paused");
        Virsh.run(uri, "resume", "virsh-vm").ok();
        assertThat(Virsh.run(uri, "domstate", "virsh-vm").ok().out()).contains("running");
        Virsh.run(uri, "shutdown", "virsh-vm").ok();
        awaitState(uri, "virsh-vm", "shut off");
        Virsh.run(uri, "start", "virsh-vm").ok();
        Virsh.run(uri, "destroy", "virsh-vm").ok();
        assertThat(Virsh.run(uri, "domstate", "virsh-vm").ok().out()).contains("shut off");
        assertThat(Virsh.run(uri, "undefine", "virsh-vm").ok().out()).contains("undefined");
        assertThat(Virsh.run(uri, "list", "--all").ok().out()).doesNotContain("virsh-vm");
        Files.delete(file);
    }

    @Test
    void anErrorKeepsTheDriversNumberAndTheConnection() throws Exception {
        Virsh.Result r = Virsh.run(daemon.uri(), "dominfo", "no-such-domain");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("failed to get domain 'no-such-domain'");
        // sim-1 is shut off: the driver's OPERATION_INVALID comes back as such, not as a lost connection
        Virsh.Result notRunning = Virsh.run(daemon.uri(), "suspend", "sim-1");
        assertThat(notRunning.exit()).isNotZero();
        assertThat(notRunning.err()).contains("Requested operation is not valid").doesNotContain("End of file");
        assertThat(Virsh.run(daemon.uri(), "domstate", "sim-1").ok().out()).contains("shut off");
    }

    @Test
    void theReadOnlySocketAndFlagRefuseStateChanges() throws Exception {
        Virsh.Result ro = Virsh.run(daemon.readOnlyUri(), "start", "sim-2");
        assertThat(ro.exit()).isNotZero();
        assertThat(ro.err()).contains("read only access prevents virDomainCreate");
        Virsh.Result flag = runReadOnly("start", "sim-2");
        assertThat(flag.exit()).isNotZero();
        assertThat(flag.err()).contains("read only access prevents virDomainCreate");
        assertThat(Virsh.run(daemon.readOnlyUri(), "list", "--all").ok().out()).contains("sim-2");
        assertThat(Virsh.run(daemon.uri(), "domstate", "sim-2").ok().out()).contains("shut off");
    }

    private static Virsh.Result runReadOnly(String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(buildReadOnly(args));
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Virsh.Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static List<String> buildReadOnly(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(Virsh.VIRSH.toString(), "--readonly", "-c", daemon.uri()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void virshEventPrintsTheLifecycleEventsAnotherVirshCauses() throws Exception {
        String uri = daemon.uri();
        Path file = Files.createTempFile("vm", ".xml");
        Files.writeString(file, xml("event-vm"));
        long registeredBefore = registrations();
        Process watcher = Virsh.start(uri, "event", "--all", "--loop", "--timeout", "60");
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader br = new BufferedReader(new InputStreamReader(watcher.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = br.readLine()) != null) {
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        reader.start();
        try {
            awaitRegistered(registeredBefore + 27);
            Virsh.run(uri, "define", file.toString()).ok();
            Virsh.run(uri, "start", "event-vm").ok();
            Virsh.run(uri, "suspend", "event-vm").ok();
            Virsh.run(uri, "resume", "event-vm").ok();
            Virsh.run(uri, "destroy", "event-vm").ok();
            Virsh.run(uri, "undefine", "event-vm").ok();
            List<String> expected = List.of(
                    "event 'lifecycle' for domain 'event-vm': Defined Added",
                    "event 'lifecycle' for domain 'event-vm': Started Booted",
                    "event 'lifecycle' for domain 'event-vm': Suspended Paused",
                    "event 'lifecycle' for domain 'event-vm': Resumed Unpaused",
                    "event 'lifecycle' for domain 'event-vm': Stopped Destroyed",
                    "event 'lifecycle' for domain 'event-vm': Undefined Removed");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline
                    && lines.stream().filter(l -> l.contains("event-vm")).count() < expected.size()) {
                Thread.sleep(20);
            }
            assertThat(lines.stream().filter(l -> l.contains("event-vm")).toList()).containsExactlyElementsOf(expected);
            System.out.println("virsh event printed:\n" + String.join("\n", lines));
        } finally {
            watcher.destroy();
            if (!watcher.waitFor(10, TimeUnit.SECONDS)) {
                watcher.destroyForcibly();
            }
            reader.join(10_000);
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aVirshKilledWhileWatchingLeavesTheOtherWatcherEveryEvent() throws Exception {
        String uri = daemon.uri();
        long registeredBefore = registrations();
        Process victim = Virsh.start(uri, "event", "--all", "--loop", "--timeout", "60");
        Process watcher = Virsh.start(uri, "event", "--all", "--loop", "--timeout", "60");
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader br = new BufferedReader(new InputStreamReader(watcher.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = br.readLine()) != null) {
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        reader.start();
        try {
            awaitRegistered(registeredBefore + 54);
            int clientsBefore = daemon.daemon().clientCount();
            Virsh.run(uri, "start", "sim-2").ok();
            victim.destroyForcibly(); // SIGKILL while it has events coming
            victim.waitFor(10, TimeUnit.SECONDS);
            Virsh.run(uri, "suspend", "sim-2").ok();
            Virsh.run(uri, "resume", "sim-2").ok();
            Virsh.run(uri, "destroy", "sim-2").ok();
            List<String> expected = List.of(
                    "event 'lifecycle' for domain 'sim-2': Started Booted",
                    "event 'lifecycle' for domain 'sim-2': Suspended Paused",
                    "event 'lifecycle' for domain 'sim-2': Resumed Unpaused",
                    "event 'lifecycle' for domain 'sim-2': Stopped Destroyed");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < until && lines.stream().filter(l -> l.contains("sim-2")).count() < 4) {
                Thread.sleep(20);
            }
            assertThat(lines.stream().filter(l -> l.contains("sim-2")).toList()).containsExactlyElementsOf(expected);
            long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < gone && daemon.daemon().clientCount() >= clientsBefore) {
                Thread.sleep(10);
            }
            assertThat(daemon.daemon().clientCount()).isEqualTo(clientsBefore - 1); // the killed one, closed
        } finally {
            victim.destroyForcibly();
            watcher.destroy();
            if (!watcher.waitFor(10, TimeUnit.SECONDS)) {
                watcher.destroyForcibly();
            }
            reader.join(10_000);
        }
    }

    /** virsh event registers its callbacks after connecting: wait until the lifecycle one is in. */
    private static void awaitRegistered(long total) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && registrations() < total) {
            Thread.sleep(10);
        }
    }

    /** CALLBACK_REGISTER_ANY calls so far (virsh event --all makes 27). */
    private static long registrations() {
        return daemon.daemon().stats().callsByProcedure().getOrDefault("CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY", 0L);
    }

    private static void awaitState(String uri, String name, String state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Virsh.run(uri, "domstate", name).ok().out().contains(state)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " never reached " + state);
    }
}
