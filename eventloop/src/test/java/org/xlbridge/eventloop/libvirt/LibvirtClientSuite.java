package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.event.DomainEventType;
import org.xlbridge.eventloop.EventLoop;

/**
 * libvirt-java's {@link Connect} on an xlbridge loop: SPEC I9 for lifecycle events under domain churn
 * from four threads, with and without forced collections, and a listener removed and its connection
 * closed while events are queued. One subclass per way of putting libvirt's events on a loop; each runs
 * in a JVM of its own (tag {@link OwnProcess#TAG}), because libvirt takes one implementation per process.
 * Not named *Test: the subclasses are the test classes.
 */
@Tag(OwnProcess.TAG)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LibvirtClientSuite {
    private static final String URI = "test:///default";

    /** The loop libvirt's events run on, made ready for connections (registered, or libvirt's own). */
    protected abstract EventLoop openLoop();

    /** libvirt's registrations live on the loop, where the implementation can tell; empty otherwise. */
    protected abstract OptionalInt libvirtRegistrations();

    private EventLoop loop;
    private LoopThread runner;

    @BeforeAll
    void startLoop() {
        LibvirtAssumptions.assumeLibvirt();
        loop = openLoop();
        runner = LoopThread.start(loop, getClass().getSimpleName() + "-loop");
    }

    @AfterAll
    void stopLoop() {
        if (runner != null) {
            // libvirt's rule: the connections are closed (each test closes its own), their frees ran, then stop.
            awaitNoLibvirtRegistrations();
            Thread before = runner.thread();
            loop.stop();
            runner.join();
            loop.close();
        }
    }

    private void awaitNoLibvirtRegistrations() {
        OptionalInt now = libvirtRegistrations();
        if (now.isPresent()) {
            DomainChurn.until(() -> libvirtRegistrations().getAsInt() == 0,
                    "libvirt's registrations to be freed (live: " + libvirtRegistrations().getAsInt() + ")");
        }
    }

    @Test
    void churnFromFourThreadsDeliversEveryEventExactlyOnceInOrderOnTheLoopThread() throws Exception {
        Connect conn = new Connect(URI);
        DomainChurn.Recorder recorder = new DomainChurn.Recorder("churn-");
        conn.addLifecycleListener(recorder);
        try {
            List<String> domains = DomainChurn.run(conn, "churn-", 4, 25, false);
            DomainChurn.assertExactlyOnceInOrderOnThread(conn, recorder, domains, "churn-sentinel", runner.thread());
        } finally {
            conn.removeLifecycleListener(recorder);
            conn.close();
        }
        awaitNoLibvirtRegistrations();
    }

    @Test
    void forcedCollectionsBetweenOperationsChangeNothing() throws Exception {
        Connect conn = new Connect(URI);
        DomainChurn.Recorder recorder = new DomainChurn.Recorder("gc-");
        conn.addLifecycleListener(recorder);
        try {
            List<String> domains = DomainChurn.run(conn, "gc-", 4, 2, true);
            System.gc();
            DomainChurn.assertExactlyOnceInOrderOnThread(conn, recorder, domains, "gc-sentinel", runner.thread());
        } finally {
            conn.removeLifecycleListener(recorder);
            conn.close();
        }
        awaitNoLibvirtRegistrations();
    }

    @Test
    void aListenerRemovedAndItsConnectionClosedWhileEventsAreQueuedLosesNothing() throws Exception {
        // Two connections to the same test driver: both listeners see every domain's events.
        Connect leaving = new Connect(URI);
        Connect staying = new Connect(URI);
        DomainChurn.Recorder gone = new DomainChurn.Recorder("queued-");
        DomainChurn.Recorder kept = new DomainChurn.Recorder("queued-");
        leaving.addLifecycleListener(gone);
        staying.addLifecycleListener(kept);
        try {
            Domain warmUp = leaving.domainDefineXML(TestDomains.xml("queued-warm-up"));
            warmUp.undefine();
            warmUp.free();
            gone.awaitEvent("queued-warm-up", DomainEventType.UNDEFINED);
            kept.awaitEvent("queued-warm-up", DomainEventType.UNDEFINED);
            int goneBefore = gone.count.get();

            // Hold the loop so that the events of the next operations stay queued in libvirt.
            Thread before = runner.thread();
            loop.stop();
            runner.join();
            List<String> domains = DomainChurn.run(leaving, "queued-", 2, 3, false);
            leaving.removeLifecycleListener(gone);
            leaving.close();
            runner = LoopThread.start(loop, getClass().getSimpleName() + "-loop");

            DomainChurn.assertExactlyOnceInOrderOnThread(staying, kept, domains, "queued-sentinel", List.of(before, runner.thread()),
                    java.util.Set.of("queued-warm-up"));
            assertThat(kept.byDomain().get("queued-warm-up")).containsExactly(DomainEventType.DEFINED,
                    DomainEventType.UNDEFINED);
            assertThat(gone.count.get()).as("nothing reaches a listener after its removal").isEqualTo(goneBefore);
        } finally {
            staying.removeLifecycleListener(kept);
            staying.close();
        }
        awaitNoLibvirtRegistrations();
    }
}
