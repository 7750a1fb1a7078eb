package org.xlbridge.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorDomain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;
import org.libvirt.event.LifecycleListener;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * An unmodified libvirt-java application ({@code org.libvirt.Connect}, libvirt-java 0.5.4) manages the xl
 * driver through the daemon. The daemon and the client share one process and one loop: the embedded loop is
 * libvirt's event implementation ({@link LibvirtEventImpl}), so the client's socket, keepalive and event
 * dispatch run on the same thread as the daemon's sockets and the driver's libxl hooks. Every lifecycle
 * event arrives once, in order, on that thread (I9 over the wire).
 */
class LibvirtJavaDaemonLibvirtTest {
    private static RunningDaemon daemon;
    private static LibvirtEventImpl impl;

    @BeforeAll
    static void start() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        PollEventLoop loop = new PollEventLoop();
        impl = LibvirtEventImpl.register(loop); // before any libvirt connection, once per process
        daemon = RunningDaemon.start(loop, "xl:///system?domains=3");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (daemon != null) {
            // libvirt's rule: its connections are closed by the tests; let their frees run, then stop
            // (a libvirt-java Domain keeps its connection referenced until it is collected: bounded wait)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (impl.liveRegistrations() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            daemon.close();
        }
    }

    private static String xml(String name) {
        return "<domain type='xen'><name>" + name + "</name><memory unit='KiB'>131072</memory><vcpu>2</vcpu>"
                + "<devices/></domain>";
    }

    @Test
    void theConnectionLooksLikeLibvirtsXenDriver() throws LibvirtException {
        Connect c = new Connect(daemon.uri());
        try {
            assertThat(c.getType()).isEqualTo("Xen");
            assertThat(c.getLibVersion()).isEqualTo(9_000_000L);
            assertThat(c.getVersion()).isEqualTo(4_017_000L);
            assertThat(c.getHostName()).isNotBlank();
            NodeInfo n = c.nodeInfo();
            assertThat(n.model).isEqualTo("x86_64");
            assertThat(n.cpus).isPositive();
            assertThat(c.isAlive()).isTrue();
            // true: 0 from virConnectSetKeepAlive, the daemon said yes to VIR_DRV_FEATURE_PROGRAM_KEEPALIVE
            assertThat(c.setKeepAlive(5, 3)).isTrue();
            List<String> names = new ArrayList<>();
            for (Domain d : c.listAllDomains(0)) {
                names.add(d.getName());
            }
            assertThat(names).contains("sim-1", "sim-2", "sim-3");
            assertThat(c.listAllDomains(1)).isEmpty(); // VIR_CONNECT_LIST_DOMAINS_ACTIVE: none running
            assertThat(c.numOfDefinedDomains()).isGreaterThanOrEqualTo(3);
            assertThatThrownBy(() -> c.domainLookupByName("no-such"))
                    .isInstanceOfSatisfying(LibvirtException.class,
                            e -> {
                                assertThat(e.getError().getCode()).isEqualTo(ErrorNumber.VIR_ERR_NO_DOMAIN);
                                assertThat(e.getError().getDomain()).isEqualTo(ErrorDomain.VIR_FROM_LIBXL);
                            });
        } finally {
            c.close();
        }
    }

    @Test
    void everyLifecycleEventOnceInOrderOnTheLoopThread() throws Exception {
        Connect c = new Connect(daemon.uri());
        List<String> events = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        LifecycleListener listener = (dom, ev) -> {
            try {
                if (dom.getName().equals("java-vm")) {
                    events.add(ev.getType() + "/" + ev.getDetail());
                    threads.add(Thread.currentThread());
                }
            } catch (LibvirtException e) {
                events.add("error " + e);
            }
            return 0;
        };
        try {
            c.addLifecycleListener(listener);
            Domain d = c.domainDefineXML(xml("java-vm"));
            d.create();
            assertThat(d.getInfo().state).isEqualTo(DomainState.VIR_DOMAIN_RUNNING);
            assertThat(d.getID()).isPositive();
            assertThat(d.getOSType()).isEqualTo("xen");
            assertThat(d.getAutostart()).isFalse();
            d.suspend();
            d.resume();
            d.shutdown();
            awaitState(d, DomainState.VIR_DOMAIN_SHUTOFF);
            d.create();
            d.destroy();
            d.undefine();
            List<String> expected = List.of("DEFINED/ADDED", "STARTED/BOOTED", "SUSPENDED/PAUSED",
                    "RESUMED/UNPAUSED", "STOPPED/SHUTDOWN", "STARTED/BOOTED", "STOPPED/DESTROYED", "UNDEFINED/REMOVED");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (events.size() < expected.size() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(200); // a duplicate would arrive now
            assertThat(events).containsExactlyElementsOf(expected);
            assertThat(threads).allMatch(t -> t == daemon.loopThread());
        } finally {
            c.removeLifecycleListener(listener);
            c.close();
        }
    }

    @Test
    void aReadOnlyConnectionIsRefusedStateChanges() throws LibvirtException {
        Connect ro = new Connect(daemon.uri(), true);
        try {
            Domain d = ro.domainLookupByName("sim-3");
            assertThatThrownBy(d::create).isInstanceOfSatisfying(LibvirtException.class,
                    e -> assertThat(e.getError().getCode()).isEqualTo(ErrorNumber.VIR_ERR_OPERATION_DENIED));
            assertThatThrownBy(() -> ro.domainDefineXML(xml("ro-vm"))).isInstanceOfSatisfying(LibvirtException.class,
                    e -> assertThat(e.getError().getCode()).isEqualTo(ErrorNumber.VIR_ERR_OPERATION_DENIED));
            assertThat(d.isActive()).isZero();
        } finally {
            ro.close();
        }
    }

    /**
     * I9 over the wire under churn: three libvirt-java connections listen while four threads, on connections
     * of their own, cycle their own domains; every listener gets each domain's events once, in order, on the
     * loop thread.
     */
    @Test
    void threeListenersSeeEveryEventOfFourChurningClientsOnceInOrder() throws Exception {
        int workers = 4;
        int rounds = 15;
        List<Connect> listeners = new ArrayList<>();
        List<java.util.Map<String, List<String>>> seen = new ArrayList<>();
        List<Thread> offLoop = new CopyOnWriteArrayList<>();
        List<LifecycleListener> added = new ArrayList<>();
        try {
            for (int l = 0; l < 3; l++) {
                Connect c = new Connect(daemon.uri());
                java.util.Map<String, List<String>> mine = new java.util.concurrent.ConcurrentHashMap<>();
                LifecycleListener li = (dom, ev) -> {
                    if (Thread.currentThread() != daemon.loopThread()) {
                        offLoop.add(Thread.currentThread());
                    }
                    try {
                        mine.computeIfAbsent(dom.getName(), k -> new CopyOnWriteArrayList<>())
                                .add(ev.getType() + "/" + ev.getDetail());
                    } catch (LibvirtException e) {
                        throw new IllegalStateException(e);
                    }
                    return 0;
                };
                c.addLifecycleListener(li);
                listeners.add(c);
                added.add(li);
                seen.add(mine);
            }
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            for (int w = 0; w < workers; w++) {
                String name = "churn-" + w;
                Thread t = new Thread(() -> {
                    try {
                        Connect c = new Connect(daemon.uri());
                        try {
                            for (int r = 0; r < rounds; r++) {
                                Domain d = c.domainDefineXML(xml(name));
                                d.create();
                                d.suspend();
                                d.resume();
                                d.destroy();
                                d.undefine();
                            }
                        } finally {
                            c.close();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, name);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join(120_000);
            }
            assertThat(failures).isEmpty();
            List<String> cycle = List.of("DEFINED/ADDED", "STARTED/BOOTED", "SUSPENDED/PAUSED", "RESUMED/UNPAUSED",
                    "STOPPED/DESTROYED", "UNDEFINED/REMOVED");
            List<String> expected = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                expected.addAll(cycle);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && seen.stream().anyMatch(m -> IntStreamHolder.total(m)
                    < (long) workers * expected.size())) {
                Thread.sleep(10);
            }
            Thread.sleep(200); // a duplicate would arrive now
            for (java.util.Map<String, List<String>> m : seen) {
                for (int w = 0; w < workers; w++) {
                    assertThat(m.get("churn-" + w)).as("churn-%d", w).containsExactlyElementsOf(expected);
                }
            }
            assertThat(offLoop).isEmpty();
        } finally {
            for (int i = 0; i < listeners.size(); i++) {
                listeners.get(i).removeLifecycleListener(added.get(i));
                listeners.get(i).close();
            }
        }
    }

    /** Counting helper. */
    private static final class IntStreamHolder {
        static long total(java.util.Map<String, List<String>> m) {
            return m.entrySet().stream().filter(e -> e.getKey().startsWith("churn-")).mapToLong(e -> e.getValue().size())
                    .sum();
        }
    }

    private static void awaitState(Domain d, DomainState s) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (d.getInfo().state != s) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(d.getName() + " never reached " + s);
            }
            Thread.sleep(10);
        }
    }
}
