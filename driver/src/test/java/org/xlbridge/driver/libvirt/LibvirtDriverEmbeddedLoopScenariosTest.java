package org.xlbridge.driver.libvirt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.OwnProcess;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The shared scenarios on {@code test:///default} through the {@code libvirt} driver, with the embedded
 * {@link PollEventLoop} registered as libvirt's event implementation: libvirt's own event timer for the
 * connection runs on the embedded loop, and so do the listeners. Registration is once per process, so
 * this class runs in a JVM of its own (tag {@link OwnProcess#TAG}). The test driver's differences are
 * those of {@link LibvirtTestDriverScenarios}.
 */
@Tag(OwnProcess.TAG)
class LibvirtDriverEmbeddedLoopScenariosTest extends LibvirtTestDriverScenarios {
    private static PollEventLoop loop;
    private static Thread loopThread;
    private static DriverManager manager;
    private static LibvirtEventImpl impl;

    @BeforeAll
    static void startLoop() {
        LibvirtAssumptions.assumeLibvirt();
        loop = new PollEventLoop();
        impl = LibvirtEventImpl.register(loop);
        loopThread = new Thread(loop::run, "embedded-libvirt-loop");
        loopThread.setDaemon(true);
        loopThread.start();
        manager = new DriverManager(DriverEnvironment.of(loop));
    }

    @AfterAll
    static void stopLoop() {
        if (manager != null) {
            manager.close();
            // libvirt's rule: close connections, let their frees run on the loop, then stop it.
            Await.until(() -> impl.liveRegistrations() == 0, "libvirt's registrations on the loop to be freed");
        }
        if (loop != null) {
            loop.stop();
            Await.join(loopThread);
            loop.close();
        }
    }

    @Override
    protected Connect open() {
        return manager.open("test:///default");
    }

    @Override
    protected Thread loopThread() {
        return loopThread;
    }
}
