package org.xlbridge.driver.xl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DiskDefinition;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.ao.DomainsStats;

/**
 * The xl driver's state closed (libvirt's stateCleanup) while clients have operations pending: each blocked
 * caller gets a clear {@link DriverException} at once (not after libxl's timeouts), each pending libxl
 * operation completes exactly once (ABORTED), and nothing of the old state is left on the loop, in the
 * bridge or in the ctx. Then a new state on the same loop serves operations.
 */
class XlStateCloseTest {
    private PollEventLoop loop;
    private Thread loopThread;

    private record Completion(String domain, String op, long ao, int rc) {
    }

    @BeforeEach
    void start() {
        loop = new PollEventLoop();
        loopThread = new Thread(loop::run, "xl-close-test-loop");
        loopThread.setDaemon(true);
        loopThread.start();
    }

    @AfterEach
    void stop() {
        loop.stop();
        Await.join(loopThread);
        loop.close();
    }

    private static String xml(String name, String guest, boolean disk) {
        return "<domain type='xen'><name>" + name + "</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
                + "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>"
                + (disk ? "<devices>" + DiskDefinition.file("/var/lib/xlbridge/" + name + ".img", "xvda").toXml()
                        + "</devices>" : "")
                + "<metadata><guest " + guest + "/></metadata></domain>";
    }

    private static Thread blocked(String name, Runnable call, AtomicReference<Throwable> thrown) {
        Thread t = new Thread(() -> {
            try {
                call.run();
                thrown.set(new AssertionError(name + " returned normally"));
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static OperationJournal completionsTo(ConcurrentLinkedQueue<Completion> completions) {
        return new OperationJournal() {
            @Override
            public void started(String domain, String operation, long aoId) {
            }

            @Override
            public void completed(String domain, String operation, long aoId, int rc) {
                completions.add(new Completion(domain, operation, aoId, rc));
            }
        };
    }

    /**
     * A reboot whose completion the driver has not handled yet holds the domain, as libvirt's job model does: a
     * second reboot is refused (OPERATION_INVALID) instead of overlapping the first, so the guest's answer is
     * never taken for a reboot the guest started itself; once the first is reported, the next reboot works.
     */
    @Test
    void aSecondRebootWhileOneIsInFlightIsRefusedAndWorksAfterIt() throws Exception {
        DriverManager manager = new DriverManager(DriverEnvironment.of(loop));
        try {
            XlConnect c = (XlConnect) manager.open("xl:///system");
            ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
            c.setOperationJournal(completionsTo(completions));
            ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
            c.addLifecycleListener((dom, e) -> events.add(e.getType() + "/" + e.getDetail()));
            Domain d = c.domainDefineXML(xml("twice", "reboot='20'", false));
            d.create();
            int domid = d.getID();
            XlDomainObj o = c.state().byName("twice");
            long started = c.operationStats().orElseThrow().started();
            d.reboot();
            o.job.lock();
            try {
                Await.until(() -> c.operationStats().orElseThrow().completed() > started, "the first reboot's ao");
            } finally {
                o.job.unlock();
            }
            // The completion may or may not be handled yet; while it is not, a reboot is refused.
            while (completions.isEmpty()) {
                try {
                    d.reboot();
                    break;
                } catch (DriverException e) {
                    assertThat(e.getError()).isEqualTo(org.libvirt.Error.ErrorNumber.VIR_ERR_OPERATION_INVALID);
                    assertThat(e.getMessage()).contains("reboot is in progress");
                }
            }
            Await.until(() -> completions.size() == 1, "the first reboot handled");
            if (c.operationStats().orElseThrow().started() == started + 1) {
                d.reboot(); // the loop above ended with the refusal: reboot now
            }
            Await.until(() -> completions.size() == 2, "both reboots handled");
            assertThat(completions).extracting(Completion::rc).containsExactly(0, 0);
            Await.until(() -> events.size() >= 6, "the events of both reboots (have " + events + ")");
            assertThat(events).containsExactly("DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/SHUTDOWN", "STARTED/BOOTED",
                    "STOPPED/SHUTDOWN", "STARTED/BOOTED");
            assertThat(d.getID()).as("rebooted in place twice, never destroyed and re-created").isEqualTo(domid);
            assertThat(c.driverStats().actionsApplied()).isZero();
        } finally {
            manager.close();
        }
    }

    /**
     * Issue 23, defect 2: a suspend between a reboot's restart (in libxl) and the driver reporting it. Before the
     * fix the suspend paused the guest and queued SUSPENDED, then the reboot's STOPPED/SHUTDOWN, STARTED/BOOTED
     * followed while the domain stayed PAUSED: the last event contradicted the state. Now the suspend is refused
     * while the reboot is in flight (libvirt's job model), and the events follow the state.
     */
    @Test
    void aSuspendWhileARebootIsInFlightIsRefusedAndEventsFollowTheState() throws Exception {
        DriverManager manager = new DriverManager(DriverEnvironment.of(loop));
        try {
            XlConnect c = (XlConnect) manager.open("xl:///system");
            ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
            c.setOperationJournal(completionsTo(completions));
            ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
            c.addLifecycleListener((dom, e) -> events.add(e.getType() + "/" + e.getDetail()));
            Domain d = c.domainDefineXML(xml("paused", "reboot='2'", false));
            d.create();
            XlDomainObj o = c.state().byName("paused");
            long started = c.operationStats().orElseThrow().started();
            d.reboot();
            // Hold the domain's job (reentrant: this thread's calls still get it) so that the driver's handling of
            // the reboot's end waits: the guest runs again (restarted in place by libxl), not yet reported.
            o.job.lock();
            try {
                Await.until(() -> c.operationStats().orElseThrow().completed() > started, "the reboot's ao");
                Await.until(o.job::hasQueuedThreads, "the driver handling the reboot's end waits for the job");
                assertThatThrownBy(d::suspend).isInstanceOfSatisfying(DriverException.class, e -> assertThat(
                        e.getError()).isEqualTo(org.libvirt.Error.ErrorNumber.VIR_ERR_OPERATION_INVALID))
                        .hasMessageContaining("reboot is in progress");
            } finally {
                o.job.unlock();
            }
            Await.until(() -> completions.size() == 1, "the reboot handled");
            d.suspend();
            assertThat(d.getInfo().state()).isEqualTo(org.libvirt.DomainInfo.DomainState.VIR_DOMAIN_PAUSED);
            Await.until(() -> events.size() >= 5, "the events (have " + events + ")");
            assertThat(events).as("the last event agrees with the state").containsExactly("DEFINED/ADDED",
                    "STARTED/BOOTED", "STOPPED/SHUTDOWN", "STARTED/BOOTED", "SUSPENDED/PAUSED");
            d.resume();
            assertThat(d.getInfo().state()).isEqualTo(org.libvirt.DomainInfo.DomainState.VIR_DOMAIN_RUNNING);
        } finally {
            manager.close();
        }
    }

    @Test
    void closingWithOperationsPendingFailsTheCallersAtOnceAndLeavesNothingBehind() {
        EventLoopStats before = loop.stats();
        DriverManager manager = new DriverManager(DriverEnvironment.of(loop));
        XlConnect c = (XlConnect) manager.open("xl:///system");
        ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
        c.setOperationJournal(new OperationJournal() {
            @Override
            public void started(String domain, String operation, long aoId) {
            }

            @Override
            public void completed(String domain, String operation, long aoId, int rc) {
                completions.add(new Completion(domain, operation, aoId, rc));
            }
        });
        c.addLifecycleListener((d, e) -> { });

        // 1. A create that waits for a disk backend that never answers (libxl's 40 s hotplug timeout).
        Domain creating = c.domainDefineXML(xml("creating", "backend='never'", true));
        AtomicReference<Throwable> createError = new AtomicReference<>();
        Thread creator = blocked("creator", creating::create, createError);

        // 2. A disk attach that waits likewise, on a running domain whose guest then crashes: the crash's
        //    handler waits for the domain's job, which the attach holds.
        Domain attaching = c.domainDefineXML(xml("attaching", "backend='never'", false));
        attaching.create();
        AtomicReference<Throwable> attachError = new AtomicReference<>();
        String disk = DiskDefinition.file("/var/lib/xlbridge/attaching-data.img", "xvdb").toXml();
        Thread attacher = blocked("attacher", () -> attaching.attachDevice(disk), attachError);

        // 3. A reboot whose guest never answers: a libxl operation in flight with no caller waiting.
        Domain rebooting = c.domainDefineXML(xml("rebooting", "reboot='never'", false));
        rebooting.create();
        rebooting.reboot();

        Await.until(() -> c.operationStats().orElseThrow().inProgress() == 3, "three operations in flight");
        XlDomainObj attachingObj = c.state().byName("attaching");
        assertThat(c.simulatedHost().orElseThrow().crash(attaching.getID())).isTrue();
        Await.until(attachingObj.job::hasQueuedThreads, "the crash handler waiting for the attach's job");

        long t0 = System.nanoTime();
        manager.close();
        long closeMs = (System.nanoTime() - t0) / 1_000_000;
        Await.join(creator);
        Await.join(attacher);

        assertThat(closeMs).as("close waits for nothing that only a timeout would end").isLessThan(5_000);
        assertThat(createError.get()).isInstanceOf(DriverException.class).hasMessageContaining("ABORTED");
        assertThat(attachError.get()).isInstanceOf(DriverException.class).hasMessageContaining("ABORTED");
        assertThat(completions).as("the reboot completed once, aborted")
                .containsExactly(new Completion("rebooting", "reboot", completions.peek().ao(),
                        LibxlError.ABORTED.code()));

        DomainsStats ops = c.operationStats().orElseThrow();
        assertThat(ops.inProgress()).isZero();
        assertThat(ops.violations()).isZero();
        assertThat(ops.completed()).isEqualTo(ops.started());
        BridgeStats bridge = c.bridgeStats();
        assertThat(bridge.liveTimeouts() + bridge.liveFds()).isZero();
        assertThat(bridge.violations()).isZero();
        LibxlStats ctx = c.contextStats();
        assertThat(ctx.busyNexi()).isZero();
        Await.until(() -> loop.stats().pendingFrees() == 0, "the loop's frees");
        EventLoopStats after = loop.stats();
        assertThat(after.liveTimeouts()).isEqualTo(before.liveTimeouts());
        assertThat(after.liveHandles()).isEqualTo(before.liveHandles());

        // A new state on the same loop serves operations.
        DriverManager again = new DriverManager(DriverEnvironment.of(loop));
        try {
            Connect c2 = again.open("xl:///system");
            Domain d = c2.domainDefineXML(xml("after", "shutdown='1'", true));
            d.create();
            assertThat(d.isActive()).isTrue();
            d.destroy();
            assertThat(d.isActive()).isFalse();
        } finally {
            again.close();
        }
    }
}
