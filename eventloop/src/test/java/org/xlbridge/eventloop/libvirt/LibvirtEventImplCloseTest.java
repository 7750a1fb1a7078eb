package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * What closing the registered loop does while a connection still uses it (libvirt's rule says: close
 * connections first). The documented behaviour of {@link LibvirtEventImpl}: the loop's close runs the
 * frees of libvirt's registrations, and every later call from libvirt is refused safely. Runs in a JVM
 * of its own (eventloop/pom.xml), because the registration cannot be undone.
 */
@Tag(OwnProcess.TAG)
class LibvirtEventImplCloseTest {

    @BeforeAll
    static void requireLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void closingTheRegisteredLoopUnderAnOpenConnectionFreesLibvirtsRegistrationsAndRefusesTheRest()
            throws LibvirtException {
        PollEventLoop loop = new PollEventLoop();
        LibvirtEventImpl impl = LibvirtEventImpl.register(loop);
        LoopThread runner = LoopThread.start(loop, "registered-loop");

        Connect conn = new Connect("test:///default");
        List<DomainEventType> events = new CopyOnWriteArrayList<>();
        LifecycleListener listener = (domain, event) -> {
            events.add(event.getType());
            return 0;
        };
        conn.addLifecycleListener(listener);
        assertThat(impl.liveTimeouts()).as("the connection's event-queue timer").isPositive();
        Domain first = conn.domainDefineXML(TestDomains.xml("close-test-1"));
        LoopThread.until(() -> events.contains(DomainEventType.DEFINED), "the DEFINED event");

        loop.close(); // the wrong order: the connection is still open
        runner.join();
        assertThat(impl.liveRegistrations()).as("the loop's close ran libvirt's frees").isZero();
        assertThat(loop.stats().pendingFrees()).isZero();

        // libvirt keeps working without events: its calls into the closed loop are refused, not thrown.
        long refusals = impl.refusals();
        first.undefine(); // queues UNDEFINED: virEventUpdateTimeout is refused
        assertThat(impl.refusals()).isGreaterThan(refusals);
        conn.removeLifecycleListener(listener); // the last listener: virEventRemoveTimeout answers -1
        assertThatThrownBy(() -> conn.addLifecycleListener(listener))
                .as("a new event timer cannot be added").isInstanceOf(LibvirtException.class);
        assertThat(events).containsExactly(DomainEventType.DEFINED);
        // Domain objects handed to the listener may still hold a reference: close() answers how many.
        assertThat(conn.close()).as("closed without error").isGreaterThanOrEqualTo(0);
        assertThat(impl.liveRegistrations()).isZero();

        // The registration stays: the same loop is still "registered", another one is refused.
        assertThat(LibvirtEventImpl.register(loop)).isSameAs(impl);
        try (PollEventLoop other = new PollEventLoop()) {
            assertThatThrownBy(() -> LibvirtEventImpl.register(other)).isInstanceOf(IllegalStateException.class);
        }
    }
}
