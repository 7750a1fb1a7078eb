package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEventType;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.poll.PollEventLoop;

/** What a user writes first: the simulated Xen host through the driver API, on the embedded loop. */
class ManageDomainsTest {
    @Test
    void domainLifecycleOnTheEmbeddedLoop() throws Exception {
        PollEventLoop loop = new PollEventLoop();
        Thread loopThread = new Thread(loop::run, "event-loop");
        loopThread.start();
        DriverManager drivers = new DriverManager(DriverEnvironment.of(loop));
        try {
            Connect conn = drivers.open("xl:///system");
            List<DomainEventType> events = new CopyOnWriteArrayList<>();
            CountDownLatch undefined = new CountDownLatch(1);
            conn.addLifecycleListener((dom, event) -> {
                events.add(event.getType());
                if (event.getType() == DomainEventType.UNDEFINED) {
                    undefined.countDown();
                }
            });
            Domain d = conn.domainDefineXML("<domain type='xen'><name>consumer</name>"
                    + "<memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>");
            d.create();
            assertTrue(d.getID() > 0);
            d.suspend();
            d.resume();
            d.destroy();
            d.undefine();
            assertTrue(undefined.await(10, TimeUnit.SECONDS), "events so far: " + events);
            assertEquals(List.of(DomainEventType.DEFINED, DomainEventType.STARTED, DomainEventType.SUSPENDED,
                    DomainEventType.RESUMED, DomainEventType.STOPPED, DomainEventType.UNDEFINED), events);
        } finally {
            drivers.close();
            loop.stop();
            loopThread.join();
            loop.close();
        }
    }

    /** The jars come from a repository, not a build directory, and carry their module names. */
    @Test
    void libraryJarsHaveAutomaticModuleNames() throws IOException, URISyntaxException {
        for (Class<?> c : new Class<?>[] {DriverManager.class, PollEventLoop.class,
                org.xlbridge.libxl.LibxlContext.class, org.xlbridge.posix.Posix.class}) {
            Path jar = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertTrue(Files.isRegularFile(jar) && jar.toString().endsWith(".jar"), c + " from " + jar);
            try (JarFile jf = new JarFile(jar.toFile())) {
                String name = jf.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
                assertNotNull(name, jar + " has no Automatic-Module-Name");
                assertTrue(c.getPackageName().startsWith(name), c + " in " + name);
            }
        }
    }
}
