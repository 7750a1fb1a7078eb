package org.xlbridge.driver.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.ConnectionCloseReason;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.xlbridge.driver.ReconnectingLibvirtConnection;
import org.xlbridge.eventloop.libvirt.RegisteredLoopAndDaemon;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libvirtd.PrivateLibvirtd;

/**
 * {@link ReconnectingLibvirtConnection} on the embedded loop registered as libvirt's event implementation,
 * against a private libvirtd that is killed with SIGKILL and restarted: the loss is reported by the close
 * callback on the loop thread, the helper reconnects, re-adds the application's listener, and the events
 * after the reconnect are exact; nothing is left on the loop after close. Also the fact behind the
 * helper's listener guard: what libvirt-java 0.5.4 does when one of two lifecycle listeners throws.
 * Runs in a JVM of its own (tag {@code libvirt-own-process}).
 */
@Tag("libvirt-own-process")
class ReconnectingLibvirtConnectionTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final List<DomainEventType> CYCLE = List.of(DomainEventType.DEFINED, DomainEventType.STARTED,
            DomainEventType.SUSPENDED, DomainEventType.RESUMED, DomainEventType.STOPPED, DomainEventType.UNDEFINED);

    private static RegisteredLoopAndDaemon env;
    private static PollEventLoop loop;
    private static LibvirtEventImpl impl;
    private static Thread loopThread;
    private static PrivateLibvirtd daemon;

    @BeforeAll
    static void startLoopAndDaemon() throws Exception {
        env = RegisteredLoopAndDaemon.start("reconnect-test-loop");
        loop = env.loop();
        impl = env.impl();
        loopThread = env.loopThread();
        daemon = env.daemon();
    }

    @AfterAll
    static void stopAll() throws InterruptedException {
        if (env != null) {
            env.close();
        }
    }

    /** Records, per domain of a prefix, the events and whether each ran on the loop thread. */
    static final class Recorder implements LifecycleListener {
        final String prefix;
        final Map<String, List<DomainEventType>> events = new ConcurrentHashMap<>();
        volatile boolean offLoop;

        Recorder(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public int onLifecycleChange(Domain domain, DomainEvent event) {
            if (Thread.currentThread() != loopThread) {
                offLoop = true;
            }
            try {
                String name = domain.getName();
                if (name.startsWith(prefix)) {
                    events.computeIfAbsent(name, n -> java.util.Collections.synchronizedList(new ArrayList<>()))
                            .add(event.getType());
                }
            } catch (LibvirtException e) {
                throw new IllegalStateException(e);
            } finally {
                freeQuietly(domain);
            }
            return 0;
        }
    }

    /** Records what the helper tells the application. */
    static final class Told implements ReconnectingLibvirtConnection.Listener {
        final BlockingQueue<String> lost = new LinkedBlockingQueue<>();
        final BlockingQueue<Long> reconnected = new LinkedBlockingQueue<>();
        final AtomicReference<Thread> lostThread = new AtomicReference<>();

        @Override
        public void connectionLost(long generation, ConnectionCloseReason reason) {
            lostThread.set(Thread.currentThread());
            lost.add(generation + ":" + reason);
        }

        @Override
        public void reconnected(long generation) {
            reconnected.add(generation);
        }
    }

    private static void freeQuietly(Domain d) {
        try {
            d.free();
        } catch (LibvirtException e) {
            // already unusable
        }
    }

    private static String xml(String name) {
        return "<domain type='test'><name>" + name + "</name><memory>8192</memory><vcpu>1</vcpu>"
                + "<os><type>hvm</type></os></domain>";
    }

    /** One define..undefine cycle through the helper. */
    private static void cycle(ReconnectingLibvirtConnection c, String name) throws LibvirtException {
        Domain d = c.withConnection(conn -> conn.domainDefineXML(xml(name)));
        try {
            d.create();
            d.suspend();
            d.resume();
            d.destroy();
            d.undefine();
        } finally {
            d.free();
        }
    }

    private static void cycle(Connect conn, String name) throws LibvirtException {
        Domain d = conn.domainDefineXML(xml(name));
        try {
            d.create();
            d.suspend();
            d.resume();
            d.destroy();
            d.undefine();
        } finally {
            d.free();
        }
    }

    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("timed out waiting for " + what).isNegative();
            try {
                TimeUnit.MILLISECONDS.sleep(2); // bounded polling: libvirt gives no signal for these
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static void assertCycles(Recorder r, List<String> names) {
        until(() -> names.stream().allMatch(n -> r.events.getOrDefault(n, List.of()).size() >= CYCLE.size()),
                "every event of " + names);
        for (String n : names) {
            assertThat(r.events.get(n)).as("events of " + n + ": each once, in order").containsExactlyElementsOf(CYCLE);
        }
        assertThat(r.events.keySet()).as("no event for another domain").containsExactlyInAnyOrderElementsOf(names);
        assertThat(r.offLoop).as("every event on the loop thread").isFalse();
    }

    @Test
    void afterASigkillTheLossIsReportedOnTheLoopTheListenerIsReAddedAndLaterEventsAreExact() throws Exception {
        until(() -> impl.liveRegistrations() == 0, "a quiet loop");
        Told told = new Told();
        Recorder recorder = new Recorder("rc-");
        ReconnectingLibvirtConnection c = ReconnectingLibvirtConnection.open(daemon.testUri(),
                new ReconnectingLibvirtConnection.Options(1, 3, Duration.ofMillis(20), Duration.ofMillis(500)), told);
        try {
            c.addLifecycleListener(recorder);
            assertThat(c.generation()).isEqualTo(1);
            cycle(c, "rc-before");
            assertCycles(recorder, List.of("rc-before"));

            daemon.restart();

            String lost = told.lost.poll(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(lost).as("the loss is reported").isNotNull();
            assertThat(lost).isIn("1:" + ConnectionCloseReason.EOF, "1:" + ConnectionCloseReason.ERROR);
            assertThat(told.lostThread.get()).as("by the close callback, on the loop thread").isSameAs(loopThread);
            assertThat(told.reconnected.poll(BOUND.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(2L);
            assertThat(c.isConnected()).isTrue();
            assertThat(c.reconnects()).isEqualTo(1);

            List<String> after = List.of("rc-after-0", "rc-after-1", "rc-after-2");
            for (String n : after) {
                cycle(c, n);
            }
            List<String> all = new ArrayList<>(after);
            all.add("rc-before");
            assertCycles(recorder, all);
            assertThat(told.lost).as("one loss only").isEmpty();
        } finally {
            c.close();
        }
        assertThatThrownBy(() -> c.withConnection(Connect::getVersion))
                .isInstanceOf(ReconnectingLibvirtConnection.NotConnectedException.class).hasMessageContaining("closed");
        until(() -> impl.liveRegistrations() == 0,
                "the helper's connections' registrations to be freed (live: " + impl + ")");
        assertThat(loop.stats().liveHandles()).isZero();
        assertThat(loop.stats().liveTimeouts()).isZero();
    }

    /**
     * The fact: libvirt-java 0.5.4 registers one native callback per lifecycle listener, and JNA catches a
     * Java exception thrown by a callback (it goes to JNA's callback exception handler, which prints it) so it
     * never reaches libvirt's C code; the other listener gets every event.
     */
    @Test
    void withRawLibvirtJavaAListenerThatThrowsDoesNotCostTheOtherListenerItsEvents() throws Exception {
        until(() -> impl.liveRegistrations() == 0, "a quiet loop");
        Connect conn = new Connect(daemon.testUri());
        Recorder recorder = new Recorder("raw-");
        CountDownLatch thrown = new CountDownLatch(6);
        LifecycleListener thrower = (d, e) -> {
            freeQuietly(d);
            thrown.countDown();
            throw new IllegalStateException("listener fault injected by the test");
        };
        try {
            conn.addLifecycleListener(thrower); // first: libvirt dispatches in registration order
            conn.addLifecycleListener(recorder);
            cycle(conn, "raw-0");
            assertThat(thrown.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("the thrower ran for each event").isTrue();
            assertCycles(recorder, List.of("raw-0"));
            // The loop is unharmed: the connection still works after six exceptions in its callbacks.
            cycle(conn, "raw-1");
            assertCycles(recorder, List.of("raw-0", "raw-1"));
        } finally {
            conn.removeLifecycleListener(thrower);
            conn.removeLifecycleListener(recorder);
            conn.close();
        }
        until(() -> impl.liveRegistrations() == 0, "the raw connection's registrations to be freed");
    }

    @Test
    void throughTheHelperAThrowingListenerIsCountedAndTheOtherGetsEveryEvent() throws Exception {
        until(() -> impl.liveRegistrations() == 0, "a quiet loop");
        Recorder recorder = new Recorder("guard-");
        ReconnectingLibvirtConnection c = ReconnectingLibvirtConnection.open(daemon.testUri(), new Told());
        try {
            c.addLifecycleListener((d, e) -> {
                freeQuietly(d);
                throw new IllegalStateException("listener fault injected by the test");
            });
            c.addLifecycleListener(recorder);
            cycle(c, "guard-0");
            assertCycles(recorder, List.of("guard-0"));
            until(() -> c.listenerFailures() == CYCLE.size(), "every throw counted");
        } finally {
            c.close();
        }
        until(() -> impl.liveRegistrations() == 0, "the helper's registrations to be freed");
    }

    @Test
    void badInputIsRefusedClearly() throws Exception {
        Told told = new Told();
        assertThatThrownBy(() -> ReconnectingLibvirtConnection.open(null, told))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("URI");
        assertThatThrownBy(() -> ReconnectingLibvirtConnection.open(" ", told))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("URI");
        assertThatThrownBy(() -> ReconnectingLibvirtConnection.open(daemon.testUri(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Listener");
        assertThatThrownBy(() -> new ReconnectingLibvirtConnection.Options(0, 1, Duration.ofMillis(1), Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keepalive interval");
        assertThatThrownBy(() -> new ReconnectingLibvirtConnection.Options(1, 1, Duration.ofMillis(10), Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("below its minimum");
        assertThatThrownBy(() -> ReconnectingLibvirtConnection.open("test+unix:///default?socket=/nonexistent/sock", told))
                .isInstanceOf(LibvirtException.class);
        until(() -> impl.liveRegistrations() == 0, "nothing left by the failed open");
        ReconnectingLibvirtConnection c = ReconnectingLibvirtConnection.open(daemon.testUri(), told);
        try {
            assertThatThrownBy(() -> c.addLifecycleListener(null)).isInstanceOf(IllegalArgumentException.class);
            LifecycleListener l = (d, e) -> {
                freeQuietly(d);
                return 0;
            };
            c.addLifecycleListener(l);
            assertThatThrownBy(() -> c.addLifecycleListener(l))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already added");
            assertThatThrownBy(() -> c.withConnection(null)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            c.close();
        }
        c.close(); // idempotent
        until(() -> impl.liveRegistrations() == 0, "the helper's registrations to be freed");
    }
}
