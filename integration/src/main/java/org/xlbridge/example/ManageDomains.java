package org.xlbridge.example;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.Domains;
import org.xlbridge.driver.api.ShutdownResult;
import org.xlbridge.driver.libvirt.LibvirtDriver;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * A management program to copy: opens a URI through the driver plugin on the embedded loop, listens for
 * lifecycle events, defines, starts, pauses, resumes and shuts down a domain ("shut down, wait, then
 * destroy"), undefines it, and closes everything in libvirt's order. The same code runs against the
 * simulated Xen host and against libvirt:
 * <pre>
 *   java -cp xlbridge.jar org.xlbridge.example.ManageDomains xl:///system
 *   java -cp xlbridge.jar org.xlbridge.example.ManageDomains test:///default
 * </pre>
 */
public final class ManageDomains {
    private ManageDomains() {
    }

    public static void main(String[] args) throws InterruptedException {
        String uri = args.length > 0 ? args[0] : "xl:///system";
        String type = uri.startsWith("xl:") ? "xen" : "test";

        // 1. One event loop for everything; its thread runs every lifecycle listener.
        PollEventLoop loop = new PollEventLoop();
        if (new LibvirtDriver().acceptsURI(java.net.URI.create(uri))) {
            LibvirtEventImpl.register(loop); // libvirt's events on our loop: once per process, before connecting
        }
        Thread loopThread = new Thread(loop::run, "event-loop");
        loopThread.start();

        // 2. One runtime (driver states start on first use), then a connection chosen by URI.
        DriverManager drivers = new DriverManager(DriverEnvironment.of(loop));
        try {
            Connect conn = drivers.open(uri);
            CountDownLatch undefined = new CountDownLatch(1);
            conn.addLifecycleListener((dom, event) -> {
                System.out.printf("event: %s %s %s%n", dom.getName(), event.getType(), event.getDetail());
                if (event.getType() == org.libvirt.event.DomainEventType.UNDEFINED) {
                    undefined.countDown();
                }
            });

            // 3. Manage a domain.
            Domain d = conn.domainDefineXML("<domain type='" + type + "'><name>example</name>"
                    + "<memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>");
            d.create();
            System.out.println("running with id " + d.getID() + ": " + d.getInfo());
            d.suspend();
            d.resume();
            ShutdownResult how = Domains.shutdownOrDestroy(conn, d, Duration.ofSeconds(5));
            System.out.println("stopped: " + how);
            d.undefine();
            undefined.await(5, TimeUnit.SECONDS);
        } finally {
            // 4. libvirt's order: connections and driver states while the loop still runs, then the loop.
            drivers.close();
            loop.stop();
            loopThread.join();
            loop.close();
        }
    }
}
