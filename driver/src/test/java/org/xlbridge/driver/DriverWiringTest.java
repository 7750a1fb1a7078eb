package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.TimeEvent;

/** Guice wiring, configuration parsing and the runtime's teardown on the embedded loop. */
class DriverWiringTest {

    @Test
    void defaultsAreEmbeddedAndAsapModify() {
        DriverConfig c = DriverConfig.fromProperties(new Properties());
        assertThat(c.loop()).isEqualTo(LoopKind.EMBEDDED);
        assertThat(c.protocol()).isEqualTo(DeregistrationProtocol.ASAP_MODIFY);
    }

    @Test
    void propertiesSelectLoopAndProtocol() {
        Properties p = new Properties();
        p.setProperty(DriverConfig.LOOP_PROPERTY, "Auto");
        p.setProperty(DriverConfig.PROTOCOL_PROPERTY, "legacy");
        DriverConfig c = DriverConfig.fromProperties(p);
        assertThat(c.loop()).isEqualTo(LoopKind.AUTO);
        assertThat(c.protocol()).isEqualTo(DeregistrationProtocol.LEGACY_DEREGISTER);
    }

    @Test
    void badConfigurationNamesTheChoices() {
        Properties p = new Properties();
        p.setProperty(DriverConfig.LOOP_PROPERTY, "epoll");
        assertThatThrownBy(() -> DriverConfig.fromProperties(p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epoll").hasMessageContaining("embedded, libvirt or auto");
        assertThatThrownBy(() -> DriverConfig.parseProtocol("fast"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("asap-modify or legacy");
    }

    @Test
    void theInjectorBuildsOneCtxWithTheBridgeOnTheBoundLoop() {
        Injector injector = Guice.createInjector(new DriverConfigModule(DriverConfig.defaults()),
                new EventLoopModule(), new LibxlDriverModule());
        try (DriverRuntime runtime = injector.getInstance(DriverRuntime.class)) {
            assertThat(runtime.loop()).isInstanceOf(PollEventLoop.class);
            assertThat(injector.getInstance(EventLoop.class)).isSameAs(runtime.loop());
            assertThat(injector.getInstance(LibxlContext.class)).isSameAs(runtime.context());
            assertThat(runtime.bridge().loop()).isSameAs(runtime.loop());
            assertThat(runtime.context().protocol()).isEqualTo(DeregistrationProtocol.ASAP_MODIFY);
        }
    }

    @Test
    void runtimeCloseDrainsEverythingOnTheEmbeddedLoop() throws Exception {
        Injector injector = Guice.createInjector(new DriverConfigModule(DriverConfig.defaults()),
                new EventLoopModule(), new LibxlDriverModule());
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class).start();
        LibxlContext ctx = runtime.context();
        CountDownLatch fired = new CountDownLatch(50);
        for (int i = 0; i < 50; i++) {
            ctx.newTimeEvent().registerRel(1 + i % 5, (ev, deadline, rc) -> fired.countDown());
        }
        for (int i = 0; i < 200; i++) {
            TimeEvent far = ctx.newTimeEvent();
            far.registerRel(3_600_000, (ev, deadline, rc) -> { throw new AssertionError("must not fire"); });
        }
        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();

        runtime.close();

        assertThat(runtime.bridge().isDrained()).isTrue();
        assertThat(runtime.bridge().stats().timeoutFrees()).isEqualTo(250);
        assertThat(runtime.bridge().stats().occurredDelivered()).isEqualTo(250);
        assertThat(runtime.bridge().stats().violations()).isZero();
        assertThat(ctx.stats().timeoutNexiInUse()).isZero();
        assertThat(ctx.isClosed()).isTrue();
        assertThatThrownBy(() -> runtime.loop().addTimeout(1, t -> { }, null))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void bridgeAttachesOnce() {
        OsEventBridge bridge = new OsEventBridge(new PollEventLoop());
        LibxlContext ctx = LibxlContext.builder().hooks(bridge).build();
        bridge.attach(ctx);
        assertThatThrownBy(() -> bridge.attach(ctx)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already attached");
        ctx.close();
        bridge.loop().close();
    }

    @Test
    void drainTimeoutIsRespectedWithoutARunningLoop() throws Exception {
        PollEventLoop loop = new PollEventLoop();
        OsEventBridge bridge = new OsEventBridge(loop);
        LibxlContext ctx = LibxlContext.builder().hooks(bridge).build();
        bridge.attach(ctx);
        ctx.newTimeEvent().registerRel(3_600_000, (ev, d, rc) -> { });
        long t0 = System.nanoTime();
        assertThat(bridge.awaitDrained(Duration.ofMillis(100))).isFalse();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        ctx.close();
        loop.close(); // runs the outstanding free
        assertThat(bridge.isDrained()).isTrue();
    }
}
