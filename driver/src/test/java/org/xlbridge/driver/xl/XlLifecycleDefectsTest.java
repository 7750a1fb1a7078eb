package org.xlbridge.driver.xl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.Domains;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.ShutdownResult;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The six lifecycle defects of issue 23, each through the public API as a management application meets it,
 * and the host limits and message cuts that came with them. Each test fails with its fix reverted (see the
 * commit messages).
 */
class XlLifecycleDefectsTest {
    private PollEventLoop loop;
    private Thread loopThread;
    private DriverManager manager;

    @BeforeEach
    void start() {
        loop = new PollEventLoop();
        loopThread = new Thread(loop::run, "xl-defects-loop");
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

    static String xml(String name, String uuid, String actions, String guest, long memMiB) {
        return "<domain type='xen'><name>" + name + "</name>" + (uuid == null ? "" : "<uuid>" + uuid + "</uuid>")
                + "<memory unit='MiB'>" + memMiB + "</memory><vcpu>1</vcpu>" + actions
                + "<metadata><guest " + guest + "/></metadata></domain>";
    }

    /** Records "name TYPE/DETAIL #id" of every event of one connection. */
    static final class Recorder {
        final List<String> events = new CopyOnWriteArrayList<>();

        Recorder(Connect c) {
            c.addLifecycleListener((d, e) -> events.add(d.getName() + " " + e.getType() + "/" + e.getDetail()));
        }

        List<String> awaitCount(int n) {
            Await.until(() -> events.size() >= n, n + " events (have " + events + ")");
            return List.copyOf(events);
        }
    }

    // ------------------------------------------------------------------ defect 1

    @Test
    void aTransientDomainRestartedByOnPoweroffReportsItsEvents() {
        Connect c = manager.open("xl:///system");
        Recorder r = new Recorder(c);
        Domain d = c.domainDefineXML(xml("t1", null, "<on_poweroff>restart</on_poweroff>", "shutdown='0'", 128));
        d.create();
        d.undefine();
        d.shutdown();
        assertThat(r.awaitCount(5)).containsExactly("t1 DEFINED/ADDED", "t1 STARTED/BOOTED",
                "t1 UNDEFINED/REMOVED", "t1 STOPPED/SHUTDOWN", "t1 STARTED/BOOTED");
        assertReachableRunning(c, "t1");
    }

    private static void assertReachableRunning(Connect c, String name) {
        Domain byName = c.domainLookupByName(name);
        int id = byName.getID();
        assertThat(id).isPositive();
        assertThat(Arrays.stream(c.listDomains()).boxed().toList()).contains(id);
        Domain byId = c.domainLookupByID(id);
        assertThat(byId.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_RUNNING);
        assertThat(c.domainLookupByUUID(byName.getUUID()).getName()).isEqualTo(name);
    }

    @Test
    void aTransientDomainRestartedByItsOnActionIsReachableAndDestroyable() {
        Connect c = manager.open("xl:///system");
        // on_poweroff restart, answered at once
        Domain d = c.domainDefineXML(xml("t-off", null, "<on_poweroff>restart</on_poweroff>", "shutdown='0'", 128));
        d.create();
        int first = d.getID();
        d.undefine();
        d.shutdown();
        Await.until(() -> d.isActive() && d.getID() != first, "restarted with a new id");
        assertReachableRunning(c, "t-off");
        c.domainLookupByName("t-off").destroy();
        assertThatThrownBy(() -> c.domainLookupByName("t-off")).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_NO_DOMAIN));
        c.domainDefineXML(xml("t-off", null, "", "", 128)); // the name is free again

        // on_crash restart
        Domain k = c.domainDefineXML(xml("t-crash", null, "<on_crash>restart</on_crash>", "", 128));
        k.create();
        int kid = k.getID();
        k.undefine();
        assertThat(((org.xlbridge.driver.xl.XlConnect) c).simulatedHost().orElseThrow().crash(kid)).isTrue();
        Await.until(() -> k.isActive() && k.getID() != kid, "restarted after the crash");
        assertReachableRunning(c, "t-crash");
        k.destroy();
        assertThat(c.listDefinedDomains()).doesNotContain("t-crash");
    }

    @Test
    void aTransientDomainRebootedAfterLibxlsTimeoutIsRestartedAndReachable() throws Exception {
        Connect c = manager.open("xl:///system?rebootTimeoutMs=50");
        Domain d = c.domainDefineXML(xml("t-late", null, "", "reboot='400'", 128));
        d.create();
        int first = d.getID();
        d.undefine();
        d.reboot(); // libxl gives up after 50 ms; the guest answers after 400: on_reboot restart applies
        Await.until(() -> d.isActive() && d.getID() != first, "restarted by on_reboot after the late answer");
        assertReachableRunning(c, "t-late");
        d.destroy();
    }

    // ------------------------------------------------------------------ defect 3

    /**
     * A define of the name of a transient domain being destroyed: before the fix the domain left the lists
     * before its STOPPED was queued, so the define (made here from inside the driver's event journal, exactly in
     * that window) could queue DEFINED/ADDED before the old life's STOPPED/DESTROYED.
     */
    @Test
    void aDefineOfTheSameNameNeverComesBeforeTheOldLifesStopped() throws Exception {
        XlConnect c = (XlConnect) manager.open("xl:///system");
        Connect c2 = manager.open("xl:///system");
        Recorder r1 = new Recorder(c);
        Recorder r2 = new Recorder(c2);
        Domain d = c.domainDefineXML(xml("reuse", null, "", "", 128));
        d.create();
        d.undefine();
        AtomicReference<String> defineOutcome = new AtomicReference<>("not tried");
        c.setEventJournal((name, ev) -> {
            if (name.equals("reuse") && ev.getType() == org.libvirt.event.DomainEventType.STOPPED) {
                Thread t = new Thread(() -> {
                    try {
                        c2.domainDefineXML(xml("reuse", null, "", "", 128));
                        defineOutcome.set("defined");
                    } catch (DriverException e) {
                        defineOutcome.set(e.getError().toString());
                    }
                });
                t.start();
                try {
                    t.join(500); // with the fix the define fails at once (the name is still taken) or waits
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        d.destroy();
        c.setEventJournal(null);
        Await.until(() -> !defineOutcome.get().equals("not tried"), "the define ran");
        if (!defineOutcome.get().equals("defined")) {
            c2.domainDefineXML(xml("reuse", null, "", "", 128));
        }
        List<String> want = List.of("reuse DEFINED/ADDED", "reuse STARTED/BOOTED", "reuse UNDEFINED/REMOVED",
                "reuse STOPPED/DESTROYED", "reuse DEFINED/ADDED");
        List<String> got1 = r1.awaitCount(5);
        List<String> got2 = r2.awaitCount(5);
        assertThat(got1).as("connection 1").containsExactlyElementsOf(want);
        assertThat(got2).as("connection 2").containsExactlyElementsOf(want);
    }

    /**
     * Two domains' events fanned out to two connections at once. The loop wrapper stops the producer of domain
     * a's event between connection 1 and connection 2 (in connection 1's timer arm) and lets domain b change
     * meanwhile. Before the fix each connection's queue was fed in turn, so connection 1 saw a then b and
     * connection 2 b then a; now the driver's one event order makes b wait, and both see the same sequence.
     */
    @Test
    void everyConnectionSeesTheSameSequence() throws Exception {
        int[] firstTimer = {-1};
        AtomicReference<Runnable> onArm = new AtomicReference<>();
        org.xlbridge.eventloop.ForwardingEventLoop probe = new org.xlbridge.eventloop.ForwardingEventLoop(loop) {
            @Override
            public int addTimeout(int frequencyMs, org.xlbridge.eventloop.TimeoutCallback cb,
                    org.xlbridge.eventloop.FreeCallback ff) {
                int id = super.addTimeout(frequencyMs, cb, ff);
                synchronized (firstTimer) {
                    if (frequencyMs == -1 && firstTimer[0] == -1) {
                        firstTimer[0] = id; // connection 1's event timer (its listener came first)
                    }
                }
                return id;
            }

            @Override
            public void updateTimeout(int timer, int frequencyMs) {
                super.updateTimeout(timer, frequencyMs);
                boolean mine;
                synchronized (firstTimer) {
                    mine = timer == firstTimer[0];
                }
                Runnable r = mine && frequencyMs == 0 ? onArm.getAndSet(null) : null;
                if (r != null) {
                    r.run();
                }
            }
        };
        DriverManager m = new DriverManager(DriverEnvironment.of(probe));
        try {
            Connect c1 = m.open("xl:///system");
            Connect c2 = m.open("xl:///system");
            Recorder r1 = new Recorder(c1);
            Recorder r2 = new Recorder(c2);
            Domain a = c1.domainDefineXML(xml("a", null, "", "", 64));
            Domain b = c1.domainDefineXML(xml("b", null, "", "", 64));
            a.create();
            b.create();
            r1.awaitCount(4);
            r2.awaitCount(4);
            onArm.set(() -> {
                Thread other = new Thread(b::suspend, "b-suspends");
                other.start();
                try {
                    other.join(500); // with the fix b waits for a's fan-out to end: this join times out
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            a.suspend();
            Await.until(() -> b.getInfo().state() == DomainState.VIR_DOMAIN_PAUSED, "b suspended");
            List<String> s1 = r1.awaitCount(6);
            List<String> s2 = r2.awaitCount(6);
            assertThat(s1.subList(4, 6)).containsExactlyInAnyOrder("a SUSPENDED/PAUSED", "b SUSPENDED/PAUSED");
            assertThat(s2).as("connection 2 against connection 1").isEqualTo(s1);
        } finally {
            m.close();
        }
    }

    // ------------------------------------------------------------------ defects 4 and 5

    /**
     * create, destroy, create, shutdownOrDestroy of a guest that never answers, with the first life's
     * STOPPED/DESTROYED still queued when the helper starts listening (the event flushes are held back): before
     * the fix the helper took it for the guest's answer and returned BY_GUEST at once, leaving the guest running.
     */
    @Test
    void shutdownOrDestroyIgnoresTheStoppedOfAnEarlierLife() throws Exception {
        GatedEventLoop gate = new GatedEventLoop(loop);
        DriverManager gated = new DriverManager(DriverEnvironment.of(gate));
        try {
            XlConnect c = (XlConnect) gated.open("xl:///system");
            CountDownLatch shutdownAsked = new CountDownLatch(1);
            c.setOperationJournal(new OperationJournal() {
                @Override
                public void started(String domain, String operation, long aoId) {
                    shutdownAsked.countDown();
                }

                @Override
                public void completed(String domain, String operation, long aoId, int rc) {
                }
            });
            Recorder r = new Recorder(c);
            Domain d = c.domainDefineXML(xml("never", null, "", "shutdown='never'", 128));
            for (int round = 0; round < 3; round++) {
                d.create();
                gate.hold();
                d.destroy(); // this life's STOPPED/DESTROYED stays queued
                d.create();
                AtomicReference<Object> result = new AtomicReference<>();
                Thread helper = new Thread(() -> {
                    try {
                        result.set(Domains.shutdownOrDestroy(c, d, Duration.ofMillis(300)));
                    } catch (Throwable e) {
                        result.set(e);
                    }
                });
                helper.start();
                Await.await(shutdownAsked, "the helper asked the guest");
                gate.release(); // the earlier life's STOPPED reaches the helper's listener now
                helper.join(10_000);
                assertThat(result.get()).as("round %d", round).isEqualTo(ShutdownResult.DESTROYED_AFTER_TIMEOUT);
                assertThat(d.isActive()).as("the guest that never answered is destroyed").isFalse();
            }
            assertThat(r.awaitCount(1 + 3 * 4)).filteredOn(s -> s.contains("STOPPED")).hasSize(6);
        } finally {
            gated.close();
        }
    }

    /**
     * The helper with its connection closed from another thread: before the fix it waited its whole timeout
     * and then threw INVALID_ARG "lifecycle listener not registered" from its cleanup, hiding INVALID_CONN.
     */
    @Test
    void shutdownOrDestroyOnAConnectionClosedUnderItAnswersInvalidConnPromptly() throws Exception {
        XlConnect c = (XlConnect) manager.open("xl:///system");
        CountDownLatch shutdownAsked = new CountDownLatch(1);
        c.setOperationJournal(new OperationJournal() {
            @Override
            public void started(String domain, String operation, long aoId) {
                shutdownAsked.countDown();
            }

            @Override
            public void completed(String domain, String operation, long aoId, int rc) {
            }
        });
        Domain d = c.domainDefineXML(xml("closed", null, "", "shutdown='never'", 128));
        d.create();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        long[] tookMs = new long[1];
        Thread helper = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                Domains.shutdownOrDestroy(c, d, Duration.ofSeconds(20));
            } catch (Throwable e) {
                thrown.set(e);
            }
            tookMs[0] = (System.nanoTime() - t0) / 1_000_000;
        });
        helper.start();
        Await.await(shutdownAsked, "the helper asked the guest");
        c.close();
        helper.join(30_000);
        assertThat(thrown.get()).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_CONN));
        assertThat(tookMs[0]).as("not the whole 20 s timeout").isLessThan(10_000);
        assertThatThrownBy(() -> c.removeLifecycleListener((dom, e) -> { }))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INVALID_CONN));
    }

    // ------------------------------------------------------------------ defect 6

    @Test
    void aRedefinitionOfARunningDomainTakesEffectAtItsNextStart() {
        Connect c = manager.open("xl:///system");
        Recorder r = new Recorder(c);
        Domain d = c.domainDefineXML(xml("redef", null, "<on_poweroff>destroy</on_poweroff>", "shutdown='0'", 128));
        d.create();
        c.domainDefineXML(xml("redef", d.getUUID().toString(), "<on_poweroff>restart</on_poweroff>", "shutdown='0'",
                256));
        assertThat(d.getInfo().maxMemKiB()).as("the live memory").isEqualTo(128 * 1024);
        assertThat(d.getXMLDesc()).contains("<on_poweroff>destroy</on_poweroff>");
        d.shutdown();
        Await.until(() -> r.events.size() >= 4, "the shutdown's event");
        Await.sleep(50);
        assertThat(r.events).containsExactly("redef DEFINED/ADDED", "redef STARTED/BOOTED", "redef DEFINED/UPDATED",
                "redef STOPPED/SHUTDOWN");
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_SHUTOFF);
        // The next start runs the new definition: its on_poweroff restart applies.
        d.create();
        assertThat(d.getInfo().maxMemKiB()).isEqualTo(256 * 1024);
        int id = d.getID();
        d.shutdown();
        Await.until(() -> d.isActive() && d.getID() != id, "restarted by the new on_poweroff");
        d.destroy();
    }

    @Test
    void aRunningTransientDomainRedefinedKeepsItsOnRebootUntilItStops() {
        Connect c = manager.open("xl:///system");
        Recorder r = new Recorder(c);
        Domain d = c.domainDefineXML(xml("rb", null, "<on_reboot>destroy</on_reboot>", "reboot='0'", 128));
        d.create();
        d.undefine();
        c.domainDefineXML(xml("rb", d.getUUID().toString(), "<on_reboot>restart</on_reboot>", "reboot='0'", 128));
        d.reboot();
        Await.until(() -> !d.isActive(), "destroyed by the live on_reboot");
        Await.until(() -> r.events.size() >= 5, "the reboot's event");
        Await.sleep(50);
        assertThat(r.events).containsExactly("rb DEFINED/ADDED", "rb STARTED/BOOTED", "rb UNDEFINED/REMOVED",
                "rb DEFINED/UPDATED", "rb STOPPED/SHUTDOWN");
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_SHUTOFF);
        assertThat(c.listDefinedDomains()).contains("rb");
    }

    // ------------------------------------------------------------------ also

    @Test
    void whatTheHostCannotHoldIsRefusedWithLibvirtsNumbers() {
        Connect c = manager.open("xl:///system?hostMemoryMiB=1024&maxVcpus=8");
        assertThatThrownBy(() -> c.domainDefineXML(xml("huge", null, "", "", 1L << 40)))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED));
        assertThatThrownBy(() -> c.domainDefineXML(xml("wide", null, "", "", 128).replace("<vcpu>1</vcpu>",
                "<vcpu>1000000</vcpu>"))).isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED));
        Domain a = c.domainDefineXML(xml("a", null, "", "", 768));
        Domain b = c.domainDefineXML(xml("b", null, "", "", 768));
        a.create();
        assertThatThrownBy(b::create).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_INTERNAL_ERROR))
                .hasMessageContaining("failed to get free memory");
        assertThat(b.isActive()).isFalse();
        a.destroy();
        b.create(); // the memory is free again
        assertThat(b.isActive()).isTrue();
        b.destroy();
        Connect big = manager.open("xl:///system");
        assertThatThrownBy(() -> big.domainDefineXML(xml("eib", null, "", "", 1L << 40)))
                .isInstanceOf(DriverException.class); // 1 EiB = 2^40 MiB, far above the default host
    }

    @Test
    void aLongNameIsCutInTheMessage() {
        Connect c = manager.open("xl:///system");
        String name = "n".repeat(10_000);
        assertThatThrownBy(() -> c.domainDefineXML(xml(name, null, "", "", 128)))
                .isInstanceOfSatisfying(DriverException.class, e -> {
                    assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED);
                    assertThat(e.getMessage().length()).isLessThan(300);
                    assertThat(e.getMessage()).contains("10000 characters");
                });
        assertThatThrownBy(() -> c.domainLookupByName(name))
                .isInstanceOfSatisfying(DriverException.class, e -> assertThat(e.getMessage().length()).isLessThan(300));
    }

    @Test
    void aHandleKeptAcrossUndefineAndDefineOfTheSameUuidFindsTheNewDefinition() {
        Connect c = manager.open("xl:///system");
        Domain d = c.domainDefineXML(xml("keep", null, "", "", 128));
        UUID uuid = d.getUUID();
        d.undefine();
        assertThatThrownBy(d::getInfo).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_NO_DOMAIN));
        assertThat(d.getID()).as("getID never fails").isEqualTo(-1);
        c.domainDefineXML(xml("keep", uuid.toString(), "", "", 256));
        assertThat(d.getInfo().maxMemKiB()).isEqualTo(256 * 1024);
        d.create();
        assertThat(d.getID()).isPositive();
        d.destroy();
    }
}
