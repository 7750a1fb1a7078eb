package org.xlbridge.driver.libvirt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.scenarios.RunningDriver;
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
    private static RunningDriver driver;
    private static LibvirtEventImpl impl;

    @BeforeAll
    static void startLoop() {
        LibvirtAssumptions.assumeLibvirt();
        PollEventLoop loop = new PollEventLoop();
        impl = LibvirtEventImpl.register(loop);
        driver = RunningDriver.start(loop, "embedded-libvirt-loop");
    }

    @AfterAll
    static void stopLoop() {
        if (driver != null) {
            // libvirt's rule: close connections, let their frees run on the loop, then stop it.
            driver.close(() -> Await.until(() -> impl.liveRegistrations() == 0,
                    "libvirt's registrations on the loop to be freed"));
        }
    }

    @Override
    protected Connect open() {
        return driver.manager().open("test:///default");
    }

    @Override
    protected Thread loopThread() {
        return driver.loopThread();
    }
}
