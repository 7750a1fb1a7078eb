package org.xlbridge.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DomainInfo;

/**
 * The over-the-wire I9 audit: arrivals are new instances (decoded by libvirt), matched by domain, type and
 * detail to what the daemon's driver produced. Each kind of violation is counted; a clean sequence is not.
 */
class WireEventAuditTest {
    private static final DomainEvent STARTED = new DomainEvent(DomainEventType.STARTED, 0); // BOOTED
    private static final DomainEvent SUSPENDED = new DomainEvent(DomainEventType.SUSPENDED, 0); // PAUSED
    private static final DomainEvent RESUMED = new DomainEvent(DomainEventType.RESUMED, 0); // UNPAUSED
    private static final DomainEvent STOPPED = new DomainEvent(DomainEventType.STOPPED, 0); // SHUTDOWN

    /** A copy, as the wire gives: equal in value (every constant above has detail 0), another instance. */
    private static DomainEvent wire(DomainEvent e) {
        return new DomainEvent(e.getType(), 0);
    }

    private static Domain dom(String name) {
        return new Domain() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public UUID getUUID() {
                return UUID.nameUUIDFromBytes(name.getBytes());
            }

            @Override
            public int getID() {
                return 1;
            }

            @Override
            public boolean isActive() {
                return true;
            }

            @Override
            public DomainInfo getInfo() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void create() {
            }

            @Override
            public void shutdown() {
            }

            @Override
            public void reboot() {
            }

            @Override
            public void destroy() {
            }

            @Override
            public void suspend() {
            }

            @Override
            public void resume() {
            }

            @Override
            public void attachDevice(String xml) {
            }

            @Override
            public void detachDevice(String xml) {
            }

            @Override
            public String getXMLDesc() {
                return "";
            }

            @Override
            public void undefine() {
            }
        };
    }

    private static WireEventAudit produced(String domain, DomainEvent... events) {
        WireEventAudit a = new WireEventAudit(Thread.currentThread());
        for (DomainEvent e : events) {
            a.produced(domain, e);
        }
        return a;
    }

    @Test
    void everyEventOnceInOrderInterleavedAcrossDomainsPasses() {
        WireEventAudit a = produced("a", STARTED, SUSPENDED, RESUMED, STOPPED);
        a.produced("b", STARTED);
        a.produced("b", STOPPED);
        a.onLifecycleChange(dom("a"), wire(STARTED));
        a.onLifecycleChange(dom("b"), wire(STARTED));
        a.onLifecycleChange(dom("a"), wire(SUSPENDED));
        a.onLifecycleChange(dom("a"), wire(RESUMED));
        a.onLifecycleChange(dom("b"), wire(STOPPED));
        a.onLifecycleChange(dom("a"), wire(STOPPED));
        EventCounts c = a.counts();
        assertThat(c.expected()).isEqualTo(6);
        assertThat(c.delivered()).isEqualTo(6);
        assertThat(c.violations()).isZero();
    }

    @Test
    void anEventDeliveredTwiceIsDuplicated() {
        WireEventAudit a = produced("a", STARTED, STOPPED);
        a.onLifecycleChange(dom("a"), wire(STARTED));
        a.onLifecycleChange(dom("a"), wire(STARTED));
        a.onLifecycleChange(dom("a"), wire(STOPPED));
        assertThat(a.counts().duplicated()).isEqualTo(1);
        assertThat(a.counts().violations()).isEqualTo(1);
    }

    @Test
    void anEventNeverProducedIsCountedAsDuplicated() {
        WireEventAudit a = produced("a", STARTED);
        a.onLifecycleChange(dom("a"), wire(STARTED));
        a.onLifecycleChange(dom("other"), wire(STARTED));
        assertThat(a.counts().duplicated()).isEqualTo(1);
    }

    @Test
    void anEventNeverDeliveredIsLost() {
        WireEventAudit a = produced("a", STARTED, SUSPENDED);
        a.onLifecycleChange(dom("a"), wire(STARTED));
        assertThat(a.counts().lost()).isEqualTo(1);
        assertThat(a.domainsWithLostEvents(5)).containsExactly("a");
        a.onLifecycleChange(dom("a"), wire(SUSPENDED));
        assertThat(a.counts().violations()).isZero();
    }

    @Test
    void twoEventsOfOneDomainSwappedAreOutOfOrder() {
        WireEventAudit a = produced("a", STARTED, SUSPENDED, RESUMED);
        a.onLifecycleChange(dom("a"), wire(STARTED));
        a.onLifecycleChange(dom("a"), wire(RESUMED));
        a.onLifecycleChange(dom("a"), wire(SUSPENDED));
        EventCounts c = a.counts();
        assertThat(c.outOfOrder()).isEqualTo(1);
        assertThat(c.lost()).isZero();
        assertThat(c.duplicated()).isZero();
    }

    @Test
    void anEventOnAnotherThreadIsOffTheLoopThread() throws InterruptedException {
        WireEventAudit a = produced("a", STARTED);
        Thread t = new Thread(() -> a.onLifecycleChange(dom("a"), wire(STARTED)));
        t.start();
        t.join();
        assertThat(a.counts().offLoopThread()).isEqualTo(1);
    }

    @Test
    void theSameTypeWithAnotherDetailDoesNotMatch() {
        WireEventAudit a = produced("a", STOPPED); // STOPPED (SHUTDOWN)
        a.onLifecycleChange(dom("a"), new DomainEvent(DomainEventType.STOPPED, 2)); // STOPPED (DESTROYED)
        assertThat(a.counts().duplicated()).isEqualTo(1);
        assertThat(a.counts().lost()).isEqualTo(1);
    }
}
