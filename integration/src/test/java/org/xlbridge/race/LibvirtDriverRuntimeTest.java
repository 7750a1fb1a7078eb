package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.util.Modules;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.DriverConfigModule;
import org.xlbridge.driver.DriverRuntime;
import org.xlbridge.driver.EventLoopModule;
import org.xlbridge.driver.LibvirtClientModule;
import org.xlbridge.driver.LibvirtConnections;
import org.xlbridge.driver.LibxlDriverModule;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.OwnProcess;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The Guice-wired driver with a libvirt-java connection to {@code test:///default} on the embedded loop:
 * the loop is registered as libvirt's implementation before the connection opens, the connection's events
 * run on the driver's loop thread, and {@code DriverRuntime.close()} removes the listener, closes the
 * connection and lets libvirt's frees run before the loop stops. Registers the embedded loop with libvirt,
 * so it runs in a JVM of its own (tag {@code libvirt-own-process}).
 */
@Tag(OwnProcess.TAG)
class LibvirtDriverRuntimeTest {

    @BeforeAll
    static void needsLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void theConnectionSharesTheDriversLoopAndIsFreedBeforeTheLoopStops() throws Exception {
        AtomicInteger libvirtLiveAtStop = new AtomicInteger(-1);
        AtomicReference<Boolean> ctxClosedAtStop = new AtomicReference<>();
        AtomicReference<DriverRuntime> runtimeRef = new AtomicReference<>();
        EventLoop loop = new ForwardingEventLoop(new PollEventLoop()) {
            @Override
            public void stop() {
                libvirtLiveAtStop.set(LibvirtEventImpl.current().orElseThrow().liveRegistrations());
                ctxClosedAtStop.set(runtimeRef.get().context().isClosed());
                super.stop();
            }
        };
        Injector injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withLibvirtUri("test:///default")),
                Modules.override(new EventLoopModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(EventLoop.class).toInstance(loop);
                    }
                }),
                new LibxlDriverModule(), new LibvirtClientModule());
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        runtimeRef.set(runtime);
        assertThat(LibvirtEventImpl.current()).as("nothing registered before start").isEmpty();
        runtime.start();
        assertThat(LibvirtEventImpl.current().orElseThrow().loop()).isSameAs(loop);

        Connect conn = injector.getInstance(Connect.class);
        LibvirtConnections connections = injector.getInstance(LibvirtConnections.class);
        assertThat(connections.connection()).isSameAs(conn);
        List<DomainEventType> events = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(6);
        LifecycleListener listener = (dom, event) -> {
            events.add(event.getType());
            threads.add(Thread.currentThread());
            try {
                dom.free();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            all.countDown();
            return 0;
        };
        connections.addLifecycleListener(listener);
        Domain d = conn.domainDefineXML("<domain type='test'><name>xlbridge-runtime-test</name>"
                + "<memory>8192</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>");
        d.create();
        d.suspend();
        d.resume();
        d.destroy();
        d.undefine();
        d.free();
        assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(events).containsExactly(DomainEventType.DEFINED, DomainEventType.STARTED,
                DomainEventType.SUSPENDED, DomainEventType.RESUMED, DomainEventType.STOPPED,
                DomainEventType.UNDEFINED);
        assertThat(threads).containsOnly(runtime.loopThread());
        assertThat(LibvirtEventImpl.current().orElseThrow().liveRegistrations())
                .as("the connection's event timer lives on our loop").isPositive();
        // a libxl timeout pending too: libvirt goes first, then the ctx, then the loop stops
        runtime.context().newTimeEvent().registerRel(3_600_000, (ev, deadline, rc) -> { });

        runtime.close();

        assertThat(libvirtLiveAtStop.get()).as("libvirt registrations live when the loop was stopped").isZero();
        assertThat(ctxClosedAtStop.get()).isTrue();
        assertThat(runtime.bridge().isDrained()).isTrue();
    }
}
