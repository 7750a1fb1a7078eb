package org.xlbridge.driver.xl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.poll.PollEventLoop;

/** What is particular to the xl driver: URI parameters, libxl events to lifecycle events, on_* actions. */
class XlDriverTest {
    private PollEventLoop loop;
    private Thread loopThread;
    private DriverManager manager;

    private record Seen(String domain, String event, Thread thread) {
    }

    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() {
        loop = new PollEventLoop();
        loopThread = new Thread(loop::run, "xl-test-loop");
        loopThread.setDaemon(true);
        loopThread.start();
        manager = new DriverManager(DriverEnvironment.of(loop));
    }

    @AfterEach
    void stop() {
        manager.close();
        loop.stop();
        Await.join(loopThread);
        loop.close();
    }

    private Connect open(String uri) {
        Connect c = manager.open(uri);
        c.addLifecycleListener((d, e) -> seen.add(new Seen(d.getName(), e.getType() + "/" + e.getDetail(),
                Thread.currentThread())));
        return c;
    }

    private List<String> eventsOf(String name) {
        List<String> out = new ArrayList<>();
        for (Seen s : seen) {
            if (s.domain().equals(name)) {
                out.add(s.event());
            }
        }
        return out;
    }

    private void awaitEvents(String name, String... expected) {
        Await.until(() -> eventsOf(name).size() >= expected.length, name + " events " + List.of(expected)
                + " (have " + eventsOf(name) + ")");
        assertThat(eventsOf(name)).containsExactly(expected);
        assertThat(seen).allSatisfy(s -> assertThat(s.thread()).isSameAs(loopThread));
    }

    private static String xml(String name, String onPoweroff, String onReboot, String onCrash, String guest) {
        return "<domain type='xen'><name>" + name + "</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
                + "<on_poweroff>" + onPoweroff + "</on_poweroff><on_reboot>" + onReboot + "</on_reboot>"
                + "<on_crash>" + onCrash + "</on_crash><metadata><guest " + guest + "/></metadata></domain>";
    }

    @Test
    void aCrashWithOnCrashDestroyStopsTheDomain() {
        Connect c = open("xl:///system");
        Domain d = c.domainDefineXML(xml("crash-destroy", "destroy", "restart", "destroy", "crash='20'"));
        d.create();
        awaitEvents("crash-destroy", "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/CRASHED");
        assertThat(d.isActive()).isFalse();
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_SHUTOFF);
        assertThat(((XlConnect) c).driverStats().actionsApplied()).isEqualTo(1);
    }

    @Test
    void aCrashWithOnCrashRestartStartsItAgainWithANewDomid() {
        Connect c = open("xl:///system");
        Domain d = c.domainDefineXML(xml("crash-restart", "destroy", "restart", "restart", "crash='20'"));
        d.create();
        int firstId = d.getID();
        // It crashes again 20 ms into each life; look at the first restart only.
        Await.until(() -> eventsOf("crash-restart").size() >= 4, "crash and restart");
        assertThat(eventsOf("crash-restart").subList(0, 4))
                .containsExactly("DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/CRASHED", "STARTED/BOOTED");
        assertThat(firstId).isPositive();
    }

    @Test
    void aCrashWithOnCrashPreserveLeavesItCrashedUntilDestroyed() {
        Connect c = open("xl:///system");
        Domain d = c.domainDefineXML(xml("crash-preserve", "destroy", "restart", "preserve", "crash='20'"));
        d.create();
        awaitEvents("crash-preserve", "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/CRASHED");
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_CRASHED);
        assertThat(d.isActive()).isTrue(); // it still holds its domid
        d.destroy();
        awaitEvents("crash-preserve", "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/CRASHED", "STOPPED/DESTROYED");
        assertThat(d.isActive()).isFalse();
    }

    @Test
    void aPoweroffWithOnPoweroffRestartBootsItAgain() {
        Connect c = open("xl:///system");
        Domain d = c.domainDefineXML(xml("poweroff-restart", "restart", "restart", "destroy", "shutdown='5'"));
        d.create();
        d.shutdown();
        awaitEvents("poweroff-restart", "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/SHUTDOWN", "STARTED/BOOTED");
        assertThat(d.isActive()).isTrue();
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_RUNNING);
    }

    @Test
    void aRebootWithOnRebootDestroyStopsTheDomain() {
        Connect c = open("xl:///system");
        Domain d = c.domainDefineXML(xml("reboot-destroy", "destroy", "destroy", "destroy", "reboot='5'"));
        d.create();
        d.reboot();
        awaitEvents("reboot-destroy", "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/SHUTDOWN");
        assertThat(d.isActive()).isFalse();
    }

    @Test
    void aShutdownTheGuestIgnoresTimesOutInLibxlAndLeavesItRunning() {
        Connect c = open("xl:///system?shutdownTimeoutMs=50");
        Domain d = c.domainDefineXML(xml("ignores", "destroy", "restart", "destroy", "shutdown='never'"));
        d.create();
        d.shutdown();
        Await.until(() -> ((XlConnect) c).driverStats().shutdownsTimedOut() == 1, "the shutdown ao to time out");
        assertThat(d.isActive()).isTrue();
        d.destroy();
        awaitEvents("ignores", "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/DESTROYED");
    }

    @Test
    void redefiningUpdatesAndNameOrUuidClashesAreRefused() {
        Connect c = open("xl:///system");
        UUID uuid = UUID.randomUUID();
        String x = "<domain type='xen'><name>re</name><uuid>" + uuid + "</uuid><memory>1024</memory></domain>";
        c.domainDefineXML(x);
        c.domainDefineXML(x.replace("1024", "2048"));
        assertThat(c.domainLookupByName("re").getInfo().maxMemKiB()).isEqualTo(2048);
        assertThatThrownBy(() -> c.domainDefineXML(x.replace(uuid.toString(), UUID.randomUUID().toString())))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_OPERATION_FAILED))
                .hasMessageContaining("already exists with uuid");
        assertThatThrownBy(() -> c.domainDefineXML(x.replace(">re<", ">other<")))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_OPERATION_FAILED))
                .hasMessageContaining("already defined with uuid");
        assertThatThrownBy(() -> c.domainDefineXML(x.replace("xen", "kvm")))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED));
        assertThatThrownBy(() -> c.domainDefineXML(x.replace("</domain>",
                "<metadata><guest shutdown='soon'/></metadata></domain>")))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_XML_ERROR));
        awaitEvents("re", "DEFINED/ADDED", "DEFINED/UPDATED");
    }

    @Test
    void undefiningARunningDomainMakesItTransientAndItGoesWhenItStops() {
        Connect c = open("xl:///system");
        Domain d = c.domainDefineXML(xml("transient", "destroy", "restart", "destroy", ""));
        d.create();
        d.undefine();
        assertThat(c.domainLookupByName("transient").isActive()).isTrue();
        d.destroy();
        assertThatThrownBy(() -> c.domainLookupByName("transient")).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_NO_DOMAIN));
        awaitEvents("transient", "DEFINED/ADDED", "STARTED/BOOTED", "UNDEFINED/REMOVED", "STOPPED/DESTROYED");
    }

    @Test
    void aListenerMayQueryButNotWaitForTheLoop() {
        Connect c = open("xl:///system");
        AtomicReference<Object> fromListener = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        c.addLifecycleListener((d, e) -> {
            if (d.getName().equals("in-listener") && e.getType().toString().equals("STARTED")) {
                try {
                    fromListener.set(d.getInfo().state()); // a query works on the loop thread
                    d.destroy();
                    fromListener.set("destroy did not refuse");
                } catch (DriverException ex) {
                    fromListener.set(ex.getError());
                }
                done.countDown();
            }
        });
        Domain d = c.domainDefineXML(xml("in-listener", "destroy", "restart", "destroy", ""));
        d.create();
        Await.await(done, "the listener");
        assertThat(fromListener.get()).isEqualTo(ErrorNumber.VIR_ERR_OPERATION_INVALID);
        assertThat(d.isActive()).isTrue();
    }

    @Test
    void hostParametersPredefineDomainsAndAreFixedForTheRuntime() {
        Connect c = open("xl:///system?domains=3&guests=random&seed=7");
        assertThat(c.listDefinedDomains()).containsExactly("sim-1", "sim-2", "sim-3");
        assertThat(c.listDomains()).isEmpty();
        Connect same = manager.open("xl:///system");
        assertThat(same.listDefinedDomains()).hasSize(3);
        assertThatThrownBy(() -> manager.open("xl:///system?domains=4"))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_ARG))
                .hasMessageContaining("already running");
    }

    @ParameterizedTest
    @ValueSource(strings = {"xl:///session", "xl://otherhost/system", "xl:///system?domains=-1",
        "xl:///system?guests=grumpy", "xl:///system?seed=x", "xl:///system?colour=blue",
        "xl:///system?domains=1&domains=2", "xl:///system?maxAnswerMs=0"})
    void badUrisAreInvalidArguments(String uri) {
        assertThatThrownBy(() -> XlHostConfig.fromUri(URI.create(uri)))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_ARG));
    }

    /**
     * SPEC I9 on the xl driver: client threads run lifecycles on their own domains at once; every listener
     * gets each domain's events exactly once, in the order of its operations, on the loop thread.
     */
    @Test
    void concurrentClientsGetEachDomainsEventsOnceInOrder() throws Exception {
        Connect c = open("xl:///system");
        Connect other = manager.open("xl:///system");
        ConcurrentLinkedQueue<Seen> seenByOther = new ConcurrentLinkedQueue<>();
        other.addLifecycleListener((d, e) -> seenByOther.add(new Seen(d.getName(), e.getType() + "/" + e.getDetail(),
                Thread.currentThread())));
        int clients = 4;
        int rounds = 5;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < clients; t++) {
            int client = t;
            Thread th = new Thread(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        Domain d = c.domainDefineXML(xml("c" + client + "r" + r, "destroy", "restart", "destroy", ""));
                        d.create();
                        d.suspend();
                        d.resume();
                        d.destroy();
                        d.undefine();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "client-" + t);
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            Await.join(th);
        }
        assertThat(failures).isEmpty();
        List<String> one = List.of("DEFINED/ADDED", "STARTED/BOOTED", "SUSPENDED/PAUSED", "RESUMED/UNPAUSED",
                "STOPPED/DESTROYED", "UNDEFINED/REMOVED");
        int expected = clients * rounds * one.size();
        Await.until(() -> seen.size() >= expected && seenByOther.size() >= expected, "all events");
        for (ConcurrentLinkedQueue<Seen> q : List.of(seen, seenByOther)) {
            Map<String, List<String>> byDomain = new HashMap<>();
            for (Seen s : q) {
                byDomain.computeIfAbsent(s.domain(), k -> new ArrayList<>()).add(s.event());
                assertThat(s.thread()).isSameAs(loopThread);
            }
            assertThat(byDomain).hasSize(clients * rounds).allSatisfy((name, events) ->
                    assertThat(events).as(name).containsExactlyElementsOf(one));
        }
        assertThat(((XlConnect) c).eventStats().dropped()).isZero();
        assertThat(((XlConnect) c).operationStats().orElseThrow().violations()).isZero();
    }
}
