package org.xlbridge.soak;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.ConnectionCloseReason;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.ReconnectingLibvirtConnection;
import org.xlbridge.libvirtd.PrivateLibvirtd;

/**
 * The soak's libvirt clients: {@code clients} threads churn domains (define, create, suspend, resume,
 * destroy, undefine, a new name per cycle) through one {@link ReconnectingLibvirtConnection} to a private
 * libvirtd's test driver, on the soak's loop; an auditing lifecycle listener checks SPEC I9 in a
 * {@link LibvirtWorkloadLedger} (bounded in memory: settled domains are folded into counters).
 *
 * <p>Faults:
 * <ul>
 *   <li>{@link FaultKind#LIBVIRTD_RESTART}: every {@link FaultPlan#millis} ms a restarter thread kills the
 *       daemon with SIGKILL and starts it again ({@link PrivateLibvirtd#restart()}): injected. Recovered
 *       when the helper reconnected and a call made on the new connection succeeded and its event arrived.
 *       Calls that fail because the daemon died count as {@link FaultLedger#failedOperation} of this kind
 *       (the error names the lost connection), not as violations; events of calls made before the kill are
 *       delivered or reported lost by the connection-closed callback (I9 otherwise).</li>
 *   <li>{@link FaultKind#LISTENER_THROW}: a second lifecycle listener throws a RuntimeException with the
 *       plan's probability per event: injected. Recovered when the auditing listener still got that
 *       event.</li>
 * </ul>
 *
 * <p>The runner owns the loop (registered as libvirt's event implementation before {@link #start()}) and
 * the daemon (this class restarts it but never closes it).
 *
 * <p>Threads and locking: each client thread owns its domains; the listeners run on the loop thread (a
 * violation otherwise) and share with the clients only the ledger (its own locking) and the fault ledger
 * (atomics). {@link #throwRandom}, {@link #lastAudited} and {@link #thrownUnaudited} are confined to the
 * loop thread. {@link #stop} is volatile; the restarter waits on {@code this} so that {@link #stop()} wakes
 * it. {@link #helper} is written once in {@link #start()} (volatile).
 */
public final class LibvirtWorkload implements Workload {
    private static final Logger log = LoggerFactory.getLogger(LibvirtWorkload.class);
    /** How long a client waits for a reconnect, or for the loss report after a failed call. */
    private static final Duration BOUND = Duration.ofSeconds(30);
    /** How long a client waits, after a failed call, for the close callback to say the daemon died. */
    private static final long LOSS_REPORT_MS = 5_000;
    /** How long {@link #finish()} lets the last events arrive. */
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private final Thread loopThread;
    private final FaultPlan plan;
    private final FaultLedger faults;
    private final int clients;
    private final PrivateLibvirtd daemon;
    private final String uri;
    private final String prefix;
    private final LibvirtWorkloadLedger ledger;
    private final SplittableRandom throwRandom;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong notConnected = new AtomicLong();
    private final AtomicLong restartErrors = new AtomicLong();
    private volatile ReconnectingLibvirtConnection helper;
    private volatile boolean stop;
    private volatile boolean started;
    /** The auditor's last event, "name/TYPE" (loop thread only). */
    private String lastAudited;
    /** Events a thrower threw on before the auditor saw them (loop thread only; emptied as they arrive). */
    private final Set<String> thrownUnaudited = new HashSet<>();

    /**
     * A workload on a private daemon, which it restarts as the plan says.
     *
     * @param loopThread the thread that turns the loop registered as libvirt's event implementation
     * @param plan       the soak's faults ({@code libvirtd-restart}, {@code listener-throw} are used here)
     * @param faults     where injections, recoveries and failed operations are counted
     * @param seed       the soak's seed (the thrower's decisions)
     * @param clients    client threads, at least 1
     * @param daemon     the private libvirtd (running)
     * @throws IllegalArgumentException on a null argument or fewer than 1 client
     */
    public LibvirtWorkload(Thread loopThread, FaultPlan plan, FaultLedger faults, long seed, int clients,
                           PrivateLibvirtd daemon) {
        this(loopThread, plan, faults, seed, clients, daemon, daemon == null ? null : daemon.testUri());
    }

    /**
     * A workload on any libvirt URI; it cannot restart a daemon it does not own.
     *
     * @throws IllegalArgumentException on a null argument, fewer than 1 client, or a plan that injects
     *                                  {@code libvirtd-restart}
     */
    public LibvirtWorkload(Thread loopThread, FaultPlan plan, FaultLedger faults, long seed, int clients, String uri) {
        this(loopThread, plan, faults, seed, clients, null, uri);
        if (plan.enabled(FaultKind.LIBVIRTD_RESTART)) {
            throw new IllegalArgumentException("fault libvirtd-restart needs a private libvirtd to restart;"
                    + " '" + uri + "' is not one (use --faults libvirtd-restart=off)");
        }
    }

    private LibvirtWorkload(Thread loopThread, FaultPlan plan, FaultLedger faults, long seed, int clients,
                            PrivateLibvirtd daemon, String uri) {
        if (loopThread == null || plan == null || faults == null) {
            throw new IllegalArgumentException("null loop thread, fault plan or fault ledger");
        }
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("no libvirt URI (null daemon or blank URI)");
        }
        if (clients < 1) {
            throw new IllegalArgumentException("libvirt clients must be >= 1, got " + clients);
        }
        this.loopThread = loopThread;
        this.plan = plan;
        this.faults = faults;
        this.clients = clients;
        this.daemon = daemon;
        this.uri = uri;
        this.prefix = "xlbridge-soak-" + ProcessHandle.current().pid() + "-";
        this.ledger = new LibvirtWorkloadLedger(prefix);
        this.throwRandom = new SplittableRandom(seed ^ 0x6c69627669727444L);
    }

    @Override
    public String name() {
        return "libvirt";
    }

    @Override
    public synchronized void start() throws Exception {
        if (started) {
            throw new IllegalStateException("libvirt workload already started");
        }
        started = true;
        ReconnectingLibvirtConnection c = ReconnectingLibvirtConnection.open(uri,
                new ReconnectingLibvirtConnection.Options(1, 5, Duration.ofMillis(20), Duration.ofSeconds(1)),
                new ReconnectingLibvirtConnection.Listener() {
                    @Override
                    public void connectionLost(long generation, ConnectionCloseReason reason) {
                        ledger.lossReported(generation);
                    }

                    @Override
                    public void reconnected(long generation) {
                        ledger.connectionFreedBelow(generation);
                    }
                });
        helper = c;
        // The auditor first: libvirt dispatches an event to the callbacks in the order they were added.
        c.addLifecycleListener(named("auditor", this::audit));
        if (plan.enabled(FaultKind.LISTENER_THROW)) {
            c.addLifecycleListener(named("thrower", this::maybeThrow));
        }
        for (int i = 0; i < clients; i++) {
            int client = i;
            Thread t = new Thread(() -> churn(client), "xlbridge-soak-libvirt-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        if (daemon != null && plan.enabled(FaultKind.LIBVIRTD_RESTART)) {
            Thread r = new Thread(this::restarter, "xlbridge-soak-libvirtd-restarter");
            r.setDaemon(true);
            threads.add(r);
        }
        threads.forEach(Thread::start);
        log.info("libvirt workload: {} clients on '{}', faults {}", clients, uri, plan);
    }

    private static LifecycleListener named(String name, LifecycleListener l) {
        return new LifecycleListener() {
            @Override
            public int onLifecycleChange(Domain d, DomainEvent e) {
                return l.onLifecycleChange(d, e);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    @Override
    public long operations() {
        return ledger.operations();
    }

    @Override
    public void stop() {
        stop = true;
        synchronized (this) {
            notifyAll();
        }
    }

    @Override
    public Map<String, Long> finish() throws InterruptedException {
        stop();
        for (Thread t : threads) {
            t.join(BOUND.toMillis());
            if (t.isAlive()) {
                log.warn("{} still running {} s after stop", t.getName(), BOUND.toSeconds());
            }
        }
        long giveUp = System.nanoTime() + SETTLE.toNanos();
        while (!ledger.settled() && System.nanoTime() - giveUp < 0) {
            LockSupport.parkNanos(1_000_000); // bounded polling: the last events arrive on the loop
        }
        ledger.close();
        if (ledger.violations() > 0) {
            log.error("libvirt workload: {} I9 violations, first ones: {}", ledger.violations(),
                    ledger.violationSamples());
        }
        return Map.of("I9", ledger.violations());
    }

    @Override
    public String summary() {
        FaultLedger.Counts r = faults.counts(FaultKind.LIBVIRTD_RESTART);
        FaultLedger.Counts t = faults.counts(FaultKind.LISTENER_THROW);
        ReconnectingLibvirtConnection c = helper;
        return String.format("libvirt: %d clients, %d calls ok, %d events (%d delivered, %d reported lost with the"
                        + " connection), %d calls failed by a restart (%d of whose events arrived anyway), %d other"
                        + " failures, restarts %d/%d recovered,"
                        + " listener throws %d/%d recovered, generation %d, restart errors %d, I9 %d",
                clients, ledger.operations(), ledger.eventsReceived(), ledger.delivered(), ledger.reportedLost(),
                ledger.restartFailedCalls() + notConnected.get(), ledger.arrivedDespiteFailure(), ledger.otherFailedCalls(), r.injected(),
                r.recovered(), t.injected(), t.recovered(), c == null ? 0 : c.generation(), restartErrors.get(),
                ledger.violations());
    }

    /** Domains whose books are open now (for tests: bounded in memory). */
    int liveDomains() {
        return ledger.liveDomains();
    }

    /** Domains whose books were folded into counters. */
    long foldedDomains() {
        return ledger.foldedDomains();
    }

    /** Events counted reported lost with a dead connection. */
    long reportedLost() {
        return ledger.reportedLost();
    }

    /** The helper (after start). */
    ReconnectingLibvirtConnection connection() {
        return helper;
    }

    @Override
    public void close() {
        stop();
        ReconnectingLibvirtConnection c = helper;
        if (c != null) {
            c.close();
        }
    }

    // ---- the restarter -------------------------------------------------------------------------------

    private void restarter() {
        long period = plan.millis(FaultKind.LIBVIRTD_RESTART);
        while (!stop) {
            synchronized (this) {
                long deadline = System.nanoTime() + period * 1_000_000;
                try {
                    while (!stop && System.nanoTime() - deadline < 0) {
                        TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (stop) {
                return;
            }
            ledger.expectRecovery(helper.generation());
            faults.injected(FaultKind.LIBVIRTD_RESTART);
            try {
                daemon.restart();
            } catch (IOException | RuntimeException e) {
                restartErrors.incrementAndGet();
                log.error("restarting the private libvirtd failed: {}", e.toString());
                return;
            }
        }
    }

    // ---- the clients ---------------------------------------------------------------------------------

    private interface ApiCall<T> {
        T run() throws LibvirtException;
    }

    /** Where a client's cycle is: the call in flight, for the ledger when it fails. */
    private static final class Cycle {
        final String name;
        long generation = -1;
        boolean opened;
        LibvirtWorkloadLedger.Call inFlight;

        Cycle(String name) {
            this.name = name;
        }
    }

    private void churn(int client) {
        long n = 0;
        while (!stop) {
            ReconnectingLibvirtConnection c = helper;
            try {
                if (!c.awaitConnected(BOUND)) {
                    if (stop) {
                        return;
                    }
                    log.warn("libvirt client {}: not reconnected within {} s", client, BOUND.toSeconds());
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            Cycle cy = new Cycle(prefix + client + "-" + n++);
            Domain d = null;
            try {
                d = c.withConnection(conn -> {
                    cy.generation = c.generation(); // stable: a reconnect cannot install a new one meanwhile
                    ledger.open(cy.name, cy.generation);
                    cy.opened = true;
                    return call(cy, DomainEventType.DEFINED, () -> conn.domainDefineXML(xml(cy.name)));
                });
                Domain dom = d;
                run(cy, DomainEventType.STARTED, dom::create);
                run(cy, DomainEventType.SUSPENDED, dom::suspend);
                run(cy, DomainEventType.RESUMED, dom::resume);
                run(cy, DomainEventType.STOPPED, dom::destroy);
                run(cy, DomainEventType.UNDEFINED, dom::undefine);
            } catch (ReconnectingLibvirtConnection.NotConnectedException e) {
                // lost between awaitConnected and the call: nothing was called
                notConnected.incrementAndGet();
                faults.failedOperation(FaultKind.LIBVIRTD_RESTART);
            } catch (LibvirtException | RuntimeException e) {
                if (!failed(client, cy, d, e)) {
                    return;
                }
            } finally {
                if (cy.opened) {
                    ledger.done(cy.name);
                }
                free(d);
            }
        }
    }

    /** Classifies a failed call; false if the client must end (interrupted). */
    private boolean failed(int client, Cycle cy, Domain d, Exception e) {
        boolean byRestart;
        try {
            byRestart = cy.generation > 0 && ledger.awaitLossReported(cy.generation, LOSS_REPORT_MS);
        } catch (InterruptedException ie) {
            return false;
        }
        ledger.failed(cy.name, cy.inFlight, byRestart);
        if (byRestart) {
            // The daemon died: the user got the lost connection's error; the restarted daemon starts empty,
            // so there is nothing to clean up.
            faults.failedOperation(FaultKind.LIBVIRTD_RESTART);
            log.debug("libvirt client {}: {} failed with the restart: {}", client, cy.name, e.getMessage());
            return true;
        }
        log.warn("libvirt client {}: a call on {} failed: {}", client, cy.name, e.toString());
        cleanUp(cy, d);
        return true;
    }

    private <T> T call(Cycle cy, DomainEventType causes, ApiCall<T> api) throws LibvirtException {
        cy.inFlight = ledger.calling(cy.name, causes);
        T result = api.run();
        ledger.returned(cy.inFlight);
        cy.inFlight = null;
        return result;
    }

    private interface VoidCall {
        void run() throws LibvirtException;
    }

    private void run(Cycle cy, DomainEventType causes, VoidCall api) throws LibvirtException {
        call(cy, causes, () -> {
            api.run();
            return null;
        });
    }

    /** After a failure not caused by a restart: leaves no domain behind (those calls' events are expected too). */
    private void cleanUp(Cycle cy, Domain d) {
        if (d == null) {
            return;
        }
        try {
            if (d.isActive() == 1) {
                run(cy, DomainEventType.STOPPED, d::destroy);
            }
            run(cy, DomainEventType.UNDEFINED, d::undefine);
        } catch (LibvirtException | RuntimeException e) {
            ledger.failed(cy.name, cy.inFlight, ledger.lossReportedFor(cy.generation));
            log.warn("libvirt client: cleaning up {} failed: {}", cy.name, e.toString());
        }
    }

    private static void free(Domain d) {
        if (d == null) {
            return;
        }
        try {
            d.free(); // a Domain holds a reference on its connection: libvirt frees registrations after it
        } catch (LibvirtException e) {
            log.debug("freeing a domain object failed: {}", e.getMessage());
        }
    }

    private static String xml(String name) {
        return "<domain type='test'><name>" + name + "</name><memory>8192</memory><vcpu>1</vcpu>"
                + "<os><type>hvm</type></os></domain>";
    }

    // ---- the listeners (loop thread) -----------------------------------------------------------------

    private int audit(Domain dom, DomainEvent event) {
        boolean onLoop = Thread.currentThread() == loopThread;
        String name = nameOf(dom);
        DomainEventType type = event.getType();
        long generation = ledger.received(name, type, onLoop);
        if (generation > 0) {
            for (int i = ledger.recoveredBy(generation); i > 0; i--) {
                faults.recovered(FaultKind.LIBVIRTD_RESTART);
            }
        }
        String key = name + "/" + type;
        lastAudited = key;
        if (thrownUnaudited.remove(key)) {
            faults.recovered(FaultKind.LISTENER_THROW);
        }
        return 0;
    }

    private int maybeThrow(Domain dom, DomainEvent event) {
        if (!plan.roll(FaultKind.LISTENER_THROW, throwRandom)) {
            free(dom);
            return 0;
        }
        String key = nameOf(dom) + "/" + event.getType();
        faults.injected(FaultKind.LISTENER_THROW);
        if (key.equals(lastAudited)) {
            faults.recovered(FaultKind.LISTENER_THROW);
        } else {
            thrownUnaudited.add(key);
        }
        throw new IllegalStateException("listener-throw fault injected by the soak on " + key);
    }

    /** The domain's name; frees the reference libvirt-java handed the listener. */
    private static String nameOf(Domain dom) {
        try {
            return dom.getName();
        } catch (LibvirtException e) {
            log.warn("lifecycle event for a domain whose name cannot be read: {}", e.getMessage());
            return null;
        } finally {
            free(dom);
        }
    }
}
