package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.event.ConnectionCloseReason;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libvirtd.PrivateLibvirtd;

/**
 * A remote libvirt connection ({@code test+unix:///default} to a {@link PrivateLibvirtd}) on the
 * embedded loop registered as libvirt's implementation: the connection's socket handle, its keepalive
 * timer and its event queue live on our loop, domain events arrive exactly once on the loop thread, and
 * a daemon that dies is reported through the connection-closed callback, leaving no registration behind.
 * Runs in a JVM of its own (tag {@link OwnProcess#TAG}).
 */
@Tag(OwnProcess.TAG)
class LibvirtDaemonEmbeddedTest {
    private static PollEventLoop loop;
    private static LibvirtEventImpl impl;
    private static LoopThread runner;
    private static PrivateLibvirtd daemon;

    @BeforeAll
    static void startLoopAndDaemon() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        LibvirtAssumptions.assumeLibvirtd();
        loop = new PollEventLoop();
        impl = LibvirtEventImpl.register(loop);
        runner = LoopThread.start(loop, "registered-loop");
        daemon = PrivateLibvirtd.start();
    }

    @AfterAll
    static void stopDaemonAndLoop() {
        try {
            if (daemon != null) {
                daemon.close();
                assertThat(daemon.isAlive()).as("no libvirtd left running").isFalse();
            }
        } finally {
            if (runner != null) {
                loop.stop();
                runner.join();
                loop.close();
            }
        }
    }

    @Test
    void theSocketTheKeepaliveTimerAndTheEventsOfARemoteConnectionLiveOnOurLoop() throws Exception {
        DomainChurn.until(() -> impl.liveRegistrations() == 0, "a quiet loop");
        long dispatchesBefore = loop.stats().dispatches();
        Connect conn = new Connect(daemon.testUri());
        DomainChurn.Recorder recorder = new DomainChurn.Recorder("remote-");
        try {
            assertThat(impl.liveHandles()).as("the connection's socket is watched by our loop").isEqualTo(1);
            assertThat(loop.stats().liveHandles()).isEqualTo(1);
            int timersBefore = impl.liveTimeouts();
            assertThat(conn.setKeepAlive(1, 5)).as("keepalive supported by the daemon").isTrue();
            assertThat(impl.liveTimeouts()).as("the keepalive timer is on our loop").isEqualTo(timersBefore + 1);

            conn.addLifecycleListener(recorder);
            List<String> domains = DomainChurn.run(conn, "remote-", 4, 5, false);
            DomainChurn.assertExactlyOnceInOrderOnThread(conn, recorder, domains, "remote-sentinel", runner.thread());
            assertThat(loop.stats().dispatches()).as("the socket and the event timer were dispatched by our loop")
                    .isGreaterThan(dispatchesBefore + domains.size());
        } finally {
            conn.removeLifecycleListener(recorder);
            conn.close();
        }
        DomainChurn.until(() -> impl.liveRegistrations() == 0,
                "the closed connection's registrations to be freed (live: " + impl + ")");
        assertThat(loop.stats().liveHandles()).isZero();
        assertThat(loop.stats().liveTimeouts()).isZero();
    }

    @Test
    void aDaemonThatDiesIsReportedByTheCloseCallbackOnTheLoopAndLeavesNoRegistration() throws Exception {
        DomainChurn.until(() -> impl.liveRegistrations() == 0, "a quiet loop");
        try (PrivateLibvirtd doomed = PrivateLibvirtd.start()) {
            Connect conn = new Connect(doomed.testUri());
            CountDownLatch closed = new CountDownLatch(1);
            AtomicReference<ConnectionCloseReason> reason = new AtomicReference<>();
            AtomicReference<Thread> closeThread = new AtomicReference<>();
            conn.registerCloseListener((c, why) -> {
                reason.set(why);
                closeThread.set(Thread.currentThread());
                closed.countDown();
            });
            conn.setKeepAlive(1, 5);
            DomainChurn.Recorder recorder = new DomainChurn.Recorder("doomed-");
            conn.addLifecycleListener(recorder);
            assertThat(impl.liveHandles()).isEqualTo(1);

            doomed.kill();
            assertThat(doomed.isAlive()).isFalse();
            LoopThread.await(closed, "the connection-closed callback");
            assertThat(reason.get()).isIn(ConnectionCloseReason.EOF, ConnectionCloseReason.ERROR);
            assertThat(closeThread.get()).as("reported by our loop, which saw the socket's EOF").isSameAs(runner.thread());

            // The daemon is gone: the deregistration calls fail ("client socket is closed"), close works.
            try {
                conn.removeLifecycleListener(recorder);
            } catch (LibvirtException expected) {
                // nothing to deregister on a dead connection
            }
            try {
                conn.unregisterCloseListener();
            } catch (LibvirtException expected) {
                // likewise
            }
            conn.close();
        }
        DomainChurn.until(() -> impl.liveRegistrations() == 0,
                "the dead connection's registrations to be freed (live: " + impl + ")");
        assertThat(loop.stats().liveHandles()).isZero();
        assertThat(loop.stats().liveTimeouts()).isZero();
    }
}
