package org.xlbridge.driver.libvirt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.scenarios.RunningDriver;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.libvirtd.PrivateLibvirtd;

/**
 * The shared scenarios through the {@code libvirt} driver on a remote connection,
 * {@code test+unix:///default?socket=...} to a private {@code libvirtd} (its test driver), on libvirt's own
 * loop: the connection's socket, keepalive and event queue all run on the loop, and the scenarios see the
 * daemon's test driver exactly as the local one ({@link LibvirtTestDriverScenarios} says where it differs
 * from a hypervisor).
 */
class LibvirtDriverRemoteScenariosTest extends LibvirtTestDriverScenarios {
    private static RunningDriver driver;
    private static PrivateLibvirtd daemon;

    @BeforeAll
    static void startLoopAndDaemon() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        LibvirtAssumptions.assumeLibvirtd();
        driver = RunningDriver.start(new LibvirtEventLoop(), "libvirt-remote-loop");
        daemon = PrivateLibvirtd.start();
    }

    @AfterAll
    static void stopAll() {
        if (driver != null) {
            driver.close(() -> {
                if (daemon != null) {
                    daemon.close();
                }
            });
        }
    }

    @Override
    protected Connect open() {
        return driver.manager().open(daemon.testUri());
    }

    @Override
    protected Thread loopThread() {
        return driver.loopThread();
    }
}
