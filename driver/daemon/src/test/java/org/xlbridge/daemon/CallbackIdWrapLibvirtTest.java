package org.xlbridge.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.ids.IdAllocator;

/**
 * The daemon's event callback ids wrap (issue 21): with the id space shrunk to 1..8 through the test seam,
 * a libvirt-java client that registers and deregisters its lifecycle listener 40 times drives the ids round
 * several times while a second client keeps its own callback registered the whole time; that id is never
 * handed to anyone else, and every registration still gets its event. Runs in a JVM of its own (the daemon
 * module forks one per class), so the property is read by this daemon only.
 */
class CallbackIdWrapLibvirtTest {
    private static RunningDaemon daemon;
    private static LibvirtEventImpl impl;

    @BeforeAll
    static void start() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        System.setProperty(IdAllocator.LAST_PROPERTY + ".callback", "8");
        PollEventLoop loop = new PollEventLoop();
        impl = LibvirtEventImpl.register(loop);
        daemon = RunningDaemon.start(loop, "xl:///system?domains=1");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        System.clearProperty(IdAllocator.LAST_PROPERTY + ".callback");
        if (daemon != null) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (impl.liveRegistrations() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            daemon.close();
        }
    }

    @Test
    void callbackIdsWrapAndAStillRegisteredIdIsNeverHandedOutAgain() throws Exception {
        Connect steady = new Connect(daemon.uri());
        Connect churn = new Connect(daemon.uri());
        List<String> steadyEvents = new CopyOnWriteArrayList<>();
        LifecycleListener steadyListener = (d, e) -> {
            String name;
            try {
                name = d.getName();
            } catch (org.libvirt.LibvirtException x) {
                name = "?";
            }
            steadyEvents.add(e.getType() + " " + name);
            return 0;
        };
        try {
            steady.addLifecycleListener(steadyListener); // holds one callback id for the whole test
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                List<DomainEventType> got = new CopyOnWriteArrayList<>();
                LifecycleListener l = (d, e) -> {
                    got.add(e.getType());
                    return 0;
                };
                churn.addLifecycleListener(l); // CALLBACK_REGISTER_ANY: a fresh id
                ids.add(daemon.daemon().callbackIds().registered());
                String name = "wrap" + i;
                churn.domainDefineXML("<domain type='xen'><name>" + name + "</name><memory unit='KiB'>131072</memory>"
                        + "<vcpu>1</vcpu><devices/></domain>").undefine();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (got.size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertThat(got).as("registration %d got its events", i)
                        .containsExactly(DomainEventType.DEFINED, DomainEventType.UNDEFINED);
                churn.removeLifecycleListener(l); // CALLBACK_DEREGISTER_ANY: the id rests
            }
            assertThat(daemon.daemon().callbackIds().wraps()).as("ids 1..8 went round").isGreaterThanOrEqualTo(2);
            assertThat(ids).as("two registered at once, at most").allMatch(n -> n <= 2);
            // the steady client's id was never given to the churning one: it still gets every event, once
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (steadyEvents.size() < 80 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(steadyEvents).hasSize(80).doesNotHaveDuplicates();
        } finally {
            steady.removeLifecycleListener(steadyListener);
            churn.close();
            steady.close();
        }
        assertThat(daemon.daemon().callbackIds().registered()).isZero();
    }
}
