package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.event.ConnectionCloseListener;

/**
 * docs/libvirt-clients.md, rule 3: a connection whose close callback is still registered is not freed by
 * {@link Connect#close()} (libvirt-java 0.5.4 answers 1: the callback holds a reference), so its socket
 * handle and keepalive timer stay on the loop; unregistering the callback first lets {@code close()} free
 * it and libvirt's frees run. Runs in a JVM of its own (the registered loop is process-wide).
 */
@Tag(OwnProcess.TAG)
class LibvirtCloseListenerEmbeddedTest {
    private static RegisteredLoopAndDaemon fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = RegisteredLoopAndDaemon.start("close-listener-loop");
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void closeFreesTheConnectionOnlyOnceItsCloseListenerIsUnregistered() throws Exception {
        LibvirtEventImpl impl = fixture.impl();
        DomainChurn.until(() -> impl.liveRegistrations() == 0, "a quiet loop");
        ConnectionCloseListener listener = (conn, reason) -> { };

        // the documented order: unregister, then close: everything of the connection leaves the loop
        Connect tidy = new Connect(fixture.daemon().testUri());
        tidy.registerCloseListener(listener);
        assertThat(tidy.setKeepAlive(5, 5)).isTrue();
        assertThat(impl.liveHandles()).as("the socket is on our loop").isEqualTo(1);
        tidy.unregisterCloseListener();
        assertThat(tidy.close()).as("no reference left").isZero();
        DomainChurn.until(() -> impl.liveRegistrations() == 0, "the connection's frees");

        // the trap: close with the callback still registered keeps the connection (and its registrations)
        Connect kept = new Connect(fixture.daemon().testUri());
        kept.registerCloseListener(listener);
        assertThat(kept.setKeepAlive(5, 5)).isTrue();
        int handles = impl.liveHandles();
        assertThat(kept.close()).as("the close callback still references the connection").isEqualTo(1);
        // a remove made by close would have queued its free before this barrier: two loop turns later it ran
        java.util.concurrent.CountDownLatch twice = new java.util.concurrent.CountDownLatch(2);
        int barrier = fixture.loop().addTimeout(0, x -> twice.countDown(), null);
        try {
            assertThat(twice.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the loop turned").isTrue();
        } finally {
            fixture.loop().removeTimeout(barrier);
        }
        assertThat(impl.liveHandles()).as("the socket handle stays on the loop").isEqualTo(handles);
        assertThat(impl.liveRegistrations()).isPositive();
    }
}
