package org.xlbridge.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.matcher.Matchers;
import com.google.inject.spi.ProvisionListener;
import com.google.inject.util.Modules;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.spi.Driver;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.driver.spi.DriverPluginModule;
import org.xlbridge.driver.spi.DriverState;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.TimeEvent;
import org.xlbridge.time.TimeSource;

/**
 * Guice wiring, configuration parsing and the runtime's lifecycle: injection makes nothing until
 * {@code start()}, overriding the {@link EventLoop} binding moves the whole driver to another loop, and
 * {@code close()} drains everything; with the driver plugin installed, the runtime (not a provider) opens
 * the plugin's URI at start and closes its driver manager first.
 */
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
        assertThat(c.loop()).as("auto is decided by the configuration, once")
                .isEqualTo(LibvirtEventLoop.isAvailable() ? LoopKind.LIBVIRT : LoopKind.EMBEDDED);
        assertThat(c.protocol()).isEqualTo(DeregistrationProtocol.LEGACY_DEREGISTER);
        assertThat(c.libvirt()).isEmpty();
    }

    @Test
    void aLibvirtUriIsReadFromItsPropertyAndCheckedForShape() {
        Properties p = new Properties();
        p.setProperty(DriverConfig.LIBVIRT_URI_PROPERTY, " test:///default ");
        assertThat(DriverConfig.fromProperties(p).libvirt()).contains("test:///default");
        assertThatThrownBy(() -> DriverConfig.defaults().withLibvirtUri("default"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'default' is not a URI");
        assertThat(DriverConfig.defaults().withLibvirtUri("test:///default").withLibvirtUri(null).libvirt())
                .isEmpty();
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
        try (DriverRuntime runtime = injector.getInstance(DriverRuntime.class).start()) {
            assertThat(runtime.loop()).isInstanceOf(PollEventLoop.class);
            assertThat(injector.getInstance(EventLoop.class)).isSameAs(runtime.loop());
            assertThat(injector.getInstance(LibxlContext.class)).isSameAs(runtime.context());
            assertThat(runtime.bridge().loop()).isSameAs(runtime.loop());
            assertThat(runtime.context().protocol()).isEqualTo(DeregistrationProtocol.ASAP_MODIFY);
        }
    }

    @Test
    void buildingTheInjectorAndInjectingTheRuntimeMakesNothingUntilStart() {
        // Asking for libvirt's loop would register libvirt's default implementation process-wide, if
        // anything made the loop: nothing may, before start().
        ProvisionRecorder made = new ProvisionRecorder();
        Injector injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withLoop(LoopKind.LIBVIRT)),
                new EventLoopModule(), new LibxlDriverModule(), made);
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        assertThat(made.types()).doesNotContain(EventLoop.class, LibxlDriverState.class, LibxlContext.class,
                OsEventBridge.class);
        assertThat(runtime.isRunning()).isFalse();
        assertThatThrownBy(runtime::context).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not started");
        runtime.close(); // never started: closes nothing, makes nothing
        assertThat(made.types()).doesNotContain(EventLoop.class, LibxlDriverState.class);
        assertThatThrownBy(runtime::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void startMakesTheLoopAndTheStateOnceEach() {
        ProvisionRecorder made = new ProvisionRecorder();
        Injector injector = Guice.createInjector(new DriverConfigModule(DriverConfig.defaults()),
                new EventLoopModule(), new LibxlDriverModule(), made);
        try (DriverRuntime runtime = injector.getInstance(DriverRuntime.class)) {
            runtime.start();
            runtime.start();
            assertThat(made.count(EventLoop.class)).isEqualTo(1);
            assertThat(made.count(LibxlDriverState.class)).isEqualTo(1);
            assertThat(injector.getInstance(OsEventBridge.class)).isSameAs(runtime.bridge());
            assertThat(runtime.isRunning()).isTrue();
            assertThat(runtime.loopThread().isAlive()).isTrue();
        }
    }

    @Test
    void overridingTheLoopBindingRunsTheWholeDriverOnThatLoop() throws Exception {
        RecordingLoop replacement = new RecordingLoop(new PollEventLoop());
        ProvisionRecorder made = new ProvisionRecorder();
        Injector injector = Guice.createInjector(new DriverConfigModule(DriverConfig.defaults()),
                Modules.override(new EventLoopModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(EventLoop.class).toInstance(replacement);
                    }
                }),
                new LibxlDriverModule(), made);
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class).start();
        assertThat(runtime.loop()).isSameAs(replacement);
        assertThat(runtime.bridge().loop()).isSameAs(replacement);
        CountDownLatch fired = new CountDownLatch(1);
        runtime.context().newTimeEvent().registerRel(1, (ev, deadline, rc) -> fired.countDown());
        TimeEvent far = runtime.context().newTimeEvent();
        far.registerRel(3_600_000, (ev, deadline, rc) -> { });
        far.deregister();
        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
        runtime.close();

        assertThat(replacement.calls()).contains("addTimeout", "updateTimeout", "removeTimeout", "run", "stop()",
                "close");
        assertThat(replacement.calls().get(replacement.calls().size() - 1)).isEqualTo("close");
        assertThat(runtime.bridge().isDrained()).isTrue();
        assertThat(made.count(PollEventLoop.class)).as("the overridden provider never ran").isZero();
    }

    @Test
    void withALibvirtUriTheRuntimeStartsAndStopsInLibvirtsOrder() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        AtomicReference<DriverRuntime> runtimeRef = new AtomicReference<>();
        RecordingLoop loop = new RecordingLoop(new PollEventLoop(), log, () -> {
            DriverRuntime r = runtimeRef.get();
            return "ctx closed=" + r.context().isClosed() + " drained=" + r.bridge().isDrained();
        });
        RecordingClients clients = new RecordingClients(log, runtimeRef);
        Injector injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withLibvirtUri("test:///default")),
                Modules.override(new EventLoopModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(EventLoop.class).toInstance(loop);
                    }
                }),
                Modules.override(new LibxlDriverModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(LibvirtClients.class).toInstance(clients);
                    }
                }));
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        runtimeRef.set(runtime);
        assertThat(log).isEmpty();
        runtime.start();
        // a libxl timeout still pending at close: the ctx must close after libvirt, and drain before stop
        runtime.context().newTimeEvent().registerRel(3_600_000, (ev, deadline, rc) -> { });
        runtime.close();

        assertThat(log).filteredOn(e -> !e.equals("addTimeout") && !e.equals("updateTimeout")
                        && !e.equals("removeTimeout"))
                .containsExactly(
                        "prepare(loop thread started=false)",
                        "run",
                        "open(loop turning=true)",
                        "deregisterListeners(ctx closed=false)",
                        "closeConnections(ctx closed=false)",
                        "awaitFreed(loop turning=true, ctx closed=false)",
                        "stop(ctx closed=true drained=true)",
                        "close");
    }

    @Test
    void aFailedLibvirtConnectionClosesWhatStartMade() {
        List<String> log = new CopyOnWriteArrayList<>();
        RecordingLoop loop = new RecordingLoop(new PollEventLoop(), log, () -> "");
        AtomicReference<DriverRuntime> runtimeRef = new AtomicReference<>();
        RecordingClients clients = new RecordingClients(log, runtimeRef);
        clients.failOpen = true;
        Injector injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withLibvirtUri("test:///default")),
                Modules.override(new EventLoopModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(EventLoop.class).toInstance(loop);
                    }
                }),
                Modules.override(new LibxlDriverModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(LibvirtClients.class).toInstance(clients);
                    }
                }));
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        runtimeRef.set(runtime);
        assertThatThrownBy(runtime::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no daemon");
        // the loop thread may enter run() before or after stop(): a pending stop ends it either way
        assertThat(log).filteredOn(e -> !e.equals("run")).endsWith("stop()", "close");
        assertThat(runtime.isRunning()).isFalse();
        assertThatThrownBy(() -> loop.addTimeout(1, t -> { }, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theConnectionProviderSaysWhenNothingIsOpen() {
        Injector injector = Guice.createInjector(new DriverConfigModule(DriverConfig.defaults()),
                new EventLoopModule(), new LibxlDriverModule(), new LibvirtClientModule());
        assertThatThrownBy(() -> injector.getInstance(org.libvirt.Connect.class))
                .hasMessageContaining("no libvirt URI configured (xlbridge.libvirt.uri)");
        Injector configured = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withLibvirtUri("test:///default")),
                new EventLoopModule(), new LibxlDriverModule(), new LibvirtClientModule());
        assertThatThrownBy(() -> configured.getInstance(org.libvirt.Connect.class))
                .hasMessageContaining("start the DriverRuntime first");
    }

    @Test
    void installingThePluginMakesAndOpensNothingUntilStart() {
        List<String> log = new CopyOnWriteArrayList<>();
        ProvisionRecorder made = new ProvisionRecorder();
        RecordingClients clients = new RecordingClients(log, new AtomicReference<>());
        Injector injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withLoop(LoopKind.LIBVIRT).withUri("lv:///x")),
                new EventLoopModule(),
                Modules.override(new LibxlDriverModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(LibvirtClients.class).toInstance(clients);
                    }
                }),
                new DriverPluginModule(List.of(new LoggingDriver("lv", true, log, null))), made);
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        assertThatThrownBy(() -> injector.getInstance(Connect.class))
                .hasMessageContaining("connection 'lv:///x' is not open: call DriverRuntime.start() first");
        assertThatThrownBy(runtime::driverManager).hasMessageContaining("not started");
        assertThat(made.types()).doesNotContain(EventLoop.class, DriverManager.class, LibxlDriverState.class);
        assertThat(log).as("no registration with libvirt, no driver state, no connection").isEmpty();
        runtime.close();
        assertThat(made.types()).doesNotContain(EventLoop.class, DriverManager.class);
        assertThat(log).isEmpty();
    }

    @Test
    void withThePluginOnALibvirtUriTheRuntimeRegistersOnceAndClosesTheManagerFirst() {
        List<String> log = new CopyOnWriteArrayList<>();
        AtomicReference<DriverRuntime> runtimeRef = new AtomicReference<>();
        RecordingLoop loop = new RecordingLoop(new PollEventLoop(), log, () -> {
            DriverRuntime r = runtimeRef.get();
            return "ctx closed=" + r.context().isClosed() + " drained=" + r.bridge().isDrained();
        });
        RecordingClients clients = new RecordingClients(log, runtimeRef);
        LoggingDriver driver = new LoggingDriver("lv", true, log, runtimeRef);
        Injector injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withLibvirtUri("test:///default")
                        .withUri("lv:///plugin")),
                Modules.override(new EventLoopModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(EventLoop.class).toInstance(loop);
                    }
                }),
                Modules.override(new LibxlDriverModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(LibvirtClients.class).toInstance(clients);
                    }
                }),
                new DriverPluginModule(List.of(driver)));
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        runtimeRef.set(runtime);
        runtime.start();
        Connect c = injector.getInstance(Connect.class);
        assertThat(c.getURI()).isEqualTo("lv:///plugin");
        assertThat(runtime.driverManager().environment().loop()).isSameAs(loop);
        runtime.context().newTimeEvent().registerRel(3_600_000, (ev, deadline, rc) -> { });
        runtime.close();

        assertThat(c.isOpen()).isFalse();
        assertThat(log).filteredOn(e -> !e.equals("addTimeout") && !e.equals("updateTimeout")
                        && !e.equals("removeTimeout"))
                .containsExactly(
                        "prepare(loop thread started=false)",
                        "run",
                        "open(loop turning=true)",
                        "lv start(loop turning=true)",
                        "lv open lv:///plugin",
                        "lv close lv:///plugin(loop turning=true, ctx closed=false)",
                        "lv cleanup(loop turning=true, ctx closed=false)",
                        "deregisterListeners(ctx closed=false)",
                        "closeConnections(ctx closed=false)",
                        "awaitFreed(loop turning=true, ctx closed=false)",
                        "stop(ctx closed=true drained=true)",
                        "close");
    }

    @Test
    void aPluginDriverThatNeedsNoLibvirtEventsRegistersNothing() {
        List<String> log = new CopyOnWriteArrayList<>();
        AtomicReference<DriverRuntime> runtimeRef = new AtomicReference<>();
        RecordingClients clients = new RecordingClients(log, runtimeRef);
        Injector injector = Guice.createInjector(new DriverConfigModule(DriverConfig.defaults().withUri("pl:///x")),
                new EventLoopModule(),
                Modules.override(new LibxlDriverModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(LibvirtClients.class).toInstance(clients);
                    }
                }),
                new DriverPluginModule(List.of(new LoggingDriver("pl", false, log, runtimeRef))));
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        runtimeRef.set(runtime);
        runtime.start();
        assertThat(runtime.connection().getURI()).isEqualTo("pl:///x");
        runtime.close();
        assertThat(log).containsExactly("pl start(loop turning=true)", "pl open pl:///x",
                "pl close pl:///x(loop turning=true, ctx closed=false)", "pl cleanup(loop turning=true, ctx closed=false)");
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
    void theStateTiesTheCtxToItsBridgeWhenMade() {
        PollEventLoop loop = new PollEventLoop();
        LibxlDriverState state = new LibxlDriverState(loop, DriverConfig.defaults()
                .withProtocol(DeregistrationProtocol.LEGACY_DEREGISTER), TimeSource.SYSTEM, BridgeListener.NONE);
        assertThat(state.loop()).isSameAs(loop);
        assertThat(state.context().protocol()).isEqualTo(DeregistrationProtocol.LEGACY_DEREGISTER);
        assertThatThrownBy(() -> state.bridge().attach(state.context())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already attached");
        state.context().close();
        loop.close();
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

    /** Records every object Guice makes: the bound type of each provision, and the made object's class. */
    static final class ProvisionRecorder extends AbstractModule implements ProvisionListener {
        private final List<Class<?>> keys = new CopyOnWriteArrayList<>();
        private final List<Class<?>> made = new CopyOnWriteArrayList<>();

        @Override
        protected void configure() {
            bindListener(Matchers.any(), this);
        }

        @Override
        public <T> void onProvision(ProvisionInvocation<T> provision) {
            T value = provision.provision();
            keys.add(provision.getBinding().getKey().getTypeLiteral().getRawType());
            if (value != null) {
                made.add(value.getClass());
            }
        }

        /** Bound types provisioned and classes made, together. */
        List<Class<?>> types() {
            List<Class<?>> all = new java.util.ArrayList<>(keys);
            all.addAll(made);
            return all;
        }

        /** How many provisions of this bound type, or (if never bound) objects of this class, were made. */
        long count(Class<?> type) {
            long bound = keys.stream().filter(type::equals).count();
            return bound > 0 ? bound : made.stream().filter(type::equals).count();
        }
    }

    /** Records the runtime's libvirt steps with what was true at each, and can fail to open. */
    static final class RecordingClients implements LibvirtClients {
        private final List<String> log;
        private final AtomicReference<DriverRuntime> runtime;
        volatile boolean failOpen;

        RecordingClients(List<String> log, AtomicReference<DriverRuntime> runtime) {
            this.log = log;
            this.runtime = runtime;
        }

        private boolean turning() {
            return log.contains("run") && !log.stream().anyMatch(e -> e.startsWith("stop"));
        }

        private boolean ctxClosed() {
            return runtime.get().context().isClosed();
        }

        @Override
        public void prepare(EventLoop loop) {
            log.add("prepare(loop thread started=" + log.contains("run") + ")");
        }

        @Override
        public void open() {
            if (failOpen) {
                throw new IllegalStateException("cannot open libvirt connection: no daemon");
            }
            // the loop thread may not have entered run() yet: wait (bounded) until it has
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!log.contains("run") && System.nanoTime() < giveUp) {
                Thread.onSpinWait();
            }
            log.add("open(loop turning=" + turning() + ")");
        }

        @Override
        public void deregisterListeners() {
            log.add("deregisterListeners(ctx closed=" + ctxClosed() + ")");
        }

        @Override
        public void closeConnections() {
            log.add("closeConnections(ctx closed=" + ctxClosed() + ")");
        }

        @Override
        public boolean awaitFreed(Duration timeout) {
            log.add("awaitFreed(loop turning=" + turning() + ", ctx closed=" + ctxClosed() + ")");
            return true;
        }
    }

    /**
     * A plugin driver for one scheme that logs its state start, opens, closes and cleanup with what was
     * true at each (loop turning: the log has "run" and no "stop"; ctx closed).
     */
    static final class LoggingDriver implements Driver {
        private final String scheme;
        private final boolean needsLibvirt;
        private final List<String> log;
        private final AtomicReference<DriverRuntime> runtime;

        LoggingDriver(String scheme, boolean needsLibvirt, List<String> log, AtomicReference<DriverRuntime> runtime) {
            this.scheme = scheme;
            this.needsLibvirt = needsLibvirt;
            this.log = log;
            this.runtime = runtime;
        }

        private String now() {
            // the loop thread may not have entered run() yet when start() opens: wait (bounded) until it has
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!log.contains("run") && runtime.get().loop() instanceof RecordingLoop
                    && System.nanoTime() < giveUp) {
                Thread.onSpinWait();
            }
            boolean turning = runtime.get().loopThread().isAlive()
                    && !log.stream().anyMatch(e -> e.startsWith("stop"));
            return "loop turning=" + turning + ", ctx closed=" + runtime.get().context().isClosed();
        }

        @Override
        public String name() {
            return scheme;
        }

        @Override
        public boolean acceptsURI(URI uri) {
            return scheme.equals(uri.getScheme());
        }

        @Override
        public boolean needsLibvirtEventImpl() {
            return needsLibvirt;
        }

        @Override
        public DriverState startState(DriverEnvironment environment) {
            String at = now();
            log.add(scheme + " start(" + at.substring(0, at.indexOf(',')) + ")");
            return new DriverState() {
                @Override
                public Connect open(URI uri) {
                    log.add(scheme + " open " + uri);
                    return connect(uri.toString());
                }

                @Override
                public void close() {
                    log.add(scheme + " cleanup(" + now() + ")");
                }
            };
        }

        private Connect connect(String uri) {
            AtomicReference<Boolean> open = new AtomicReference<>(true);
            return (Connect) Proxy.newProxyInstance(Connect.class.getClassLoader(), new Class<?>[] {Connect.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getURI" -> uri;
                        case "isOpen" -> open.get();
                        case "close" -> {
                            if (open.getAndSet(false)) {
                                log.add(scheme + " close " + uri + "(" + now() + ")");
                            }
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "LoggingConnect[" + uri + "]";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }

    /** Delegates to another loop and records the name of every call, in order. */
    static final class RecordingLoop implements EventLoop {
        private final EventLoop inner;
        private final List<String> calls;
        private final java.util.function.Supplier<String> atStop;

        RecordingLoop(EventLoop inner) {
            this(inner, new CopyOnWriteArrayList<>(), () -> "");
        }

        /** Records into {@code calls}; at stop also records what {@code atStop} says. */
        RecordingLoop(EventLoop inner, List<String> calls, java.util.function.Supplier<String> atStop) {
            this.inner = inner;
            this.calls = calls;
            this.atStop = atStop;
        }

        List<String> calls() {
            return calls;
        }

        @Override
        public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
            calls.add("addHandle");
            return inner.addHandle(fd, events, cb, ff);
        }

        @Override
        public void updateHandle(int watch, int events) {
            calls.add("updateHandle");
            inner.updateHandle(watch, events);
        }

        @Override
        public boolean removeHandle(int watch) {
            calls.add("removeHandle");
            return inner.removeHandle(watch);
        }

        @Override
        public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
            calls.add("addTimeout");
            return inner.addTimeout(frequencyMs, cb, ff);
        }

        @Override
        public void updateTimeout(int timer, int frequencyMs) {
            calls.add("updateTimeout");
            inner.updateTimeout(timer, frequencyMs);
        }

        @Override
        public boolean removeTimeout(int timer) {
            calls.add("removeTimeout");
            return inner.removeTimeout(timer);
        }

        @Override
        public void runOnce() {
            inner.runOnce();
        }

        @Override
        public void run() {
            calls.add("run");
            inner.run();
        }

        @Override
        public void stop() {
            calls.add("stop(" + atStop.get() + ")");
            inner.stop();
        }

        @Override
        public EventLoopStats stats() {
            return inner.stats();
        }

        @Override
        public void close() {
            calls.add("close");
            inner.close();
        }
    }
}
