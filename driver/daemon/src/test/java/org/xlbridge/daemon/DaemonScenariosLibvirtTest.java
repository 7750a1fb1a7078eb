package org.xlbridge.daemon;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.scenarios.XlDomainScenarios;
import org.xlbridge.driver.scenarios.RunningDriver;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The shared scenarios through a third door: the {@code libvirt} driver (libvirt-java) over
 * {@code xen+unix:///system?socket=...} to the daemon, which serves the {@code xl} driver. The management
 * code is the one that runs in-process against {@code xl:///system} (XlDriverScenariosTest) and must see
 * the same behaviour and the same error numbers over the wire. The client runs on libvirt's own loop, the
 * daemon on the embedded one.
 */
class DaemonScenariosLibvirtTest extends XlDomainScenarios {
    private static RunningDaemon daemon;
    private static RunningDriver client;

    @BeforeAll
    static void startDaemonAndClient() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        daemon = RunningDaemon.start(new PollEventLoop(), "xl:///system");
        client = RunningDriver.start(new LibvirtEventLoop(), "libvirt-client-loop");
    }

    @AfterAll
    static void stopAll() {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    @Override
    protected Connect open() {
        return client.manager().open(daemon.uri());
    }

    @Override
    protected Thread loopThread() {
        return client.loopThread();
    }
}
