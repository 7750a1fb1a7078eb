package org.xlbridge.driver.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEventType;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.DriverConfigModule;
import org.xlbridge.driver.DriverRuntime;
import org.xlbridge.driver.EventLoopModule;
import org.xlbridge.driver.LibxlDriverModule;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.spi.DriverPluginModule;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.OwnProcess;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * An application that installs {@link DriverPluginModule} with {@code xlbridge.uri=test:///default} on the
 * default (embedded) loop: building the injector registers nothing; {@link DriverRuntime#start()} makes the
 * loop libvirt's event implementation and opens the URI; libvirt's lifecycle events reach the listener on
 * the runtime's loop thread; the runtime alone tears down, libvirt's frees running before the loop stops.
 * Own JVM: it registers the loop.
 */
@Tag(OwnProcess.TAG)
class LibvirtDriverPluginModuleTest {
    @Test
    void aLibvirtUriRunsOnTheEmbeddedLoop() {
        LibvirtAssumptions.assumeLibvirt();
        Injector injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withUri("test:///default")),
                new EventLoopModule(), new LibxlDriverModule(), new DriverPluginModule());
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        assertThat(LibvirtEventImpl.current()).as("building the injector registers nothing").isEmpty();
        runtime.start();
        assertThat(runtime.loop()).isInstanceOf(PollEventLoop.class);
        Connect conn = injector.getInstance(Connect.class);
        LibvirtEventImpl impl = LibvirtEventImpl.current().orElseThrow();
        assertThat(impl.loop()).isSameAs(runtime.loop());

        List<String> seen = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        conn.addLifecycleListener((d, e) -> {
            seen.add(d.getName() + ":" + e.getType());
            threads.add(Thread.currentThread());
        });
        String name = "xlb-guice-" + UUID.randomUUID().toString().substring(0, 8);
        Domain d = conn.domainDefineXML("<domain type='test'><name>" + name + "</name><memory>1024</memory>"
                + "<os><type>hvm</type></os></domain>");
        d.undefine();
        Await.until(() -> seen.size() >= 2, "DEFINED and UNDEFINED for " + name);
        assertThat(seen).containsExactly(name + ":" + DomainEventType.DEFINED, name + ":" + DomainEventType.UNDEFINED);
        assertThat(threads).allSatisfy(t -> assertThat(t.getName()).isEqualTo("xlbridge-loop"));

        // libvirt's order, by the runtime alone: the manager's connections first, their frees run on the
        // still turning loop, then the ctx; the loop stops only after.
        assertThat(runtime.quiesce()).as("libvirt's and the bridge's frees ran within the drain timeout").isTrue();
        assertThat(conn.isOpen()).isFalse();
        assertThat(impl.liveRegistrations()).isZero();
        assertThat(runtime.loopThread().isAlive()).as("the loop still turns after quiesce").isTrue();
        runtime.close();
        assertThat(runtime.loopThread().isAlive()).isFalse();
    }
}
