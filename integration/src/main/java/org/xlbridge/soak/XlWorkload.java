package org.xlbridge.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.StoppedDetail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DiskDefinition;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.Domains;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.driver.api.ShutdownResult;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.driver.xl.OperationJournal;
import org.xlbridge.driver.xl.XlConnect;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.ao.DomainsStats;
import org.xlbridge.xen.SimHost;

/**
 * The xl driver's management workload of {@code xlbridge soak}: a simulated Xen host of N domains opened as
 * {@code xl:///system} through a {@link DriverManager} on the soak's loop; M client threads, each with its own
 * connection and its own share of the domains, run lifecycle operations as {@code xlbridge host} does
 * (create, shutdown-wait-destroy, reboot, suspend/resume, disk attach+detach, destroy), with cooperative
 * guests (they answer within a millisecond: every slow or silent guest is an injected fault, so each fault
 * is counted exactly) and these faults, each decided by {@link FaultPlan#roll} on a {@link SplittableRandom}
 * split from the seed:
 * <dl>
 * <dt>{@code guest-crash}</dt><dd>a running guest crashes now ({@link SimHost#crash}). Recovered when the
 *   client's connection got STOPPED/CRASHED (the driver saw it and applied on_crash = destroy) and a create
 *   of the domain then succeeded.</dd>
 * <dt>{@code guest-silent}</dt><dd>the guest ignores the shutdown request of the next shutdown-wait
 *   ({@link SimHost#silenceNextRequest}). Recovered when {@link Domains#shutdownOrDestroy} timed out and
 *   destroyed it.</dd>
 * <dt>{@code abort}</dt><dd>a reboot waits for a guest told to ignore it, and another thread destroys the
 *   domain: libxl's destroy aborts the reboot. Recovered when the reboot's ao completed exactly once, with
 *   ABORTED (seen through {@link OperationJournal}), and a create then succeeded.</dd>
 * <dt>{@code state-restart}</dt><dd>every period the whole driver runtime is closed while the clients work
 *   (the manager closes the connections, then the state: libxl's operations are aborted, the ctx freed,
 *   the bridge drained) and a new one, with a new simulated host, is opened; clients reconnect. Blocked
 *   callers get a DriverException (counted as the restart's cost). After the close this state's loop view
 *   ({@link CountingLoop}) must hold no registration and owe no free, its bridge no registration, its ctx
 *   no busy nexus and libxl no operation in progress (else I4). Recovered when a client operation succeeds
 *   on the new state.</dd>
 * <dt>{@code listener-throw}</dt><dd>every connection (the checker's and each client's) has, first, a
 *   listener that throws for a rolled event; recovered when the next listener of that connection still got
 *   the same event.</dd>
 * </dl>
 *
 * <p>I9 at a restart: events a state produced and had not delivered to the checker when its connection
 * closed are dropped by that close, as libvirt drops a closed connection's queued events. They are counted
 * as {@link #eventsDroppedAtRestart()}, apart from violations; every event that IS delivered must still be
 * delivered once, in its domain's order, on the loop thread. At the end (no close) every event must have
 * arrived. A listener throw whose event was dropped so is counted in {@link #listenerThrowsCutByRestart()}
 * (injected, not recovered, not a violation); likewise for a fault whose recovery a restart interrupted.
 *
 * <p>Memory: nothing here grows with the number of operations: the audit holds only undelivered events,
 * the ao ledger only aos in flight, the counters are adders; each closed state is dropped after its
 * counters are summed.
 *
 * <p>Locking: {@link #genLock} serialises restarts with {@link #finish()} and guards the summed counters of
 * closed states; {@link #current} is volatile (clients read it without the lock); per-state objects
 * document their own; counters are atomics.
 */
public final class XlWorkload implements Workload {
    private static final Logger log = LoggerFactory.getLogger(XlWorkload.class);
    /** How long a client's shutdown-wait waits for the guest before destroying. */
    public static final Duration SHUTDOWN_WAIT = Duration.ofMillis(30);
    /** libxl's own shutdown/reboot timeout: longer than the client's wait, so a destroy aborts it. */
    static final long LIBXL_WAIT_MS = 2_000;
    private static final Duration FAULT_WAIT = Duration.ofSeconds(5);
    private static final Duration QUIESCE = Duration.ofSeconds(15);
    /** Set by the ao ledger's {@code started}, which runs on the caller's thread inside reboot(). */
    private static final ThreadLocal<Long> LAST_STARTED_AO = new ThreadLocal<>();

    private final EventLoop loop;
    private final Thread loopThread;
    private final DeregistrationProtocol protocol;
    private final FaultPlan plan;
    private final FaultLedger ledger;
    private final long seed;
    private final int domainCount;
    private final int clientCount;
    private final SplittableRandom rootRandom;

    private final Object genLock = new Object();
    private volatile Generation current;
    /** Guarded by genLock. Domid wraps of the simulated hosts of closed states. */
    private long closedDomidWraps;
    private volatile boolean stopping;
    private final CountDownLatch stopLatch = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    private final ExecutorService aborter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "xl-soak-aborter");
        t.setDaemon(true);
        return t;
    });
    private volatile long startNanos;
    private volatile long endNanos;
    private boolean finished;
    private boolean closed;

    private final LongAdder operations = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder conflicts = new LongAdder();
    private final LongAdder unexpected = new LongAdder();
    private final LongAdder interruptedByRestart = new LongAdder();
    private final LongAdder faultNotRecovered = new LongAdder();
    private final AtomicLong restarts = new AtomicLong();
    private final AtomicLong restartsWithPendingOps = new AtomicLong();
    private final AtomicLong maxCloseMs = new AtomicLong();

    // Summed over closed states; guarded by genLock.
    private long droppedAtRestart;
    private long throwsCut;
    private long eventsProduced;
    private long eventsDelivered;
    private long eventsDuplicated;
    private long eventsOutOfOrder;
    private long eventsOffLoop;
    private long eventsLost;
    private long i1;
    private long i2;
    private long i3;
    private long i4;
    private long i7;
    private long i10;
    private final List<String> notes = new ArrayList<>();

    /**
     * @param loop        the soak's loop (or a decorated view of it); the soak runs it
     * @param loopThread  the thread that runs it (events must arrive there)
     * @param protocol    libxl's deregistration protocol
     * @param plan        the faults
     * @param ledger      where faults are counted
     * @param seed        seeds the clients' choices and the fault decisions
     * @param domains     simulated domains (sim-1 .. sim-N)
     * @param clients     client threads, 1 .. domains
     */
    public XlWorkload(EventLoop loop, Thread loopThread, DeregistrationProtocol protocol, FaultPlan plan,
            FaultLedger ledger, long seed, int domains, int clients) {
        if (loop == null || loopThread == null || protocol == null || plan == null || ledger == null) {
            throw new IllegalArgumentException("loop, loop thread, protocol, fault plan and ledger are required");
        }
        if (domains < 1 || clients < 1 || clients > domains) {
            throw new IllegalArgumentException("xl workload: need 1 <= clients <= domains (domains=" + domains
                    + ", clients=" + clients + ")");
        }
        this.loop = loop;
        this.loopThread = loopThread;
        this.protocol = protocol;
        this.plan = plan;
        this.ledger = ledger;
        this.seed = seed;
        this.domainCount = domains;
        this.clientCount = clients;
        this.rootRandom = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    }

    @Override
    public String name() {
        return "xl";
    }

    private String uri() {
        return "xl:///system?domains=" + domainCount + "&guests=cooperative&seed=" + seed + "&shutdownTimeoutMs="
                + LIBXL_WAIT_MS + "&rebootTimeoutMs=" + LIBXL_WAIT_MS;
    }

    @Override
    public synchronized void start() {
        if (current != null) {
            throw new IllegalStateException("xl workload already started");
        }
        startNanos = System.nanoTime();
        current = openGeneration(1, false);
        for (int c = 0; c < clientCount; c++) {
            List<String> mine = new ArrayList<>();
            for (int i = 1 + c; i <= domainCount; i += clientCount) {
                mine.add("sim-" + i);
            }
            Thread t = new Thread(new Client(mine, rootRandom.split()), "xl-soak-client-" + c);
            t.setDaemon(true);
            threads.add(t);
        }
        if (plan.enabled(FaultKind.STATE_RESTART)) {
            Thread r = new Thread(this::restarter, "xl-soak-restarter");
            r.setDaemon(true);
            threads.add(r);
        }
        threads.forEach(Thread::start);
    }

    @Override
    public long operations() {
        return operations.sum();
    }

    @Override
    public int pendingOperations() {
        Generation g = current;
        return g == null ? 0 : g.checker.operationStats().map(DomainsStats::inProgress).orElse(0);
    }

    @Override
    public int bridgeRegistrations() {
        Generation g = current;
        if (g == null) {
            return 0;
        }
        BridgeStats b = g.checker.bridgeStats();
        return b.liveTimeouts() + b.liveFds();
    }

    @Override
    public int busyNexi() {
        Generation g = current;
        return g == null ? 0 : g.checker.contextStats().busyNexi();
    }

    /**
     * Violations so far: the closed states' sums plus what the current state shows already (events delivered
     * twice, out of order or off the loop thread; libxl's I10 counters). Undelivered events count only at the
     * end.
     */
    @Override
    public long violationsSoFar() {
        synchronized (genLock) {
            long v = i1 + i2 + i3 + i4 + i7 + i10 + eventsLost + eventsDuplicated + eventsOutOfOrder + eventsOffLoop;
            Generation g = current;
            if (g != null && !finished) {
                long[] ev = g.audit.counts();
                v += ev[2] + ev[3] + ev[4];
                v += g.checker.operationStats().map(DomainsStats::violations).orElse(0L);
                v += g.checker.bridgeStats().violations();
            }
            return v;
        }
    }

    @Override
    public void stop() {
        stopping = true;
        stopLatch.countDown();
    }

    // ================================================================== states (generations)

    /** One driver runtime: its manager, state, host, checker connection and audits. */
    private final class Generation {
        final int number;
        final CountingLoop view;
        final DriverManager manager;
        final XlConnect checker;
        final XlEventAudit audit;
        final AoLedger aos = new AoLedger();
        final ThrowingListener checkerThrower;
        final List<ThrowingListener> throwers = new CopyOnWriteArrayList<>();
        /** Follows a restart: the first successful client operation is the restart's recovery. */
        final AtomicBoolean recoveryPending;
        volatile boolean closing;

        Generation(int number, boolean afterRestart) {
            this.number = number;
            this.view = new CountingLoop(loop);
            this.manager = new DriverManager(new DriverEnvironment(view, protocol));
            this.audit = new XlEventAudit(loopThread);
            this.recoveryPending = new AtomicBoolean(afterRestart);
            XlConnect c = (XlConnect) manager.open(uri());
            this.checker = c;
            c.setEventJournal(audit);
            c.setOperationJournal(aos);
            this.checkerThrower = new ThrowingListener(rootRandom.split());
            throwers.add(checkerThrower);
            c.addLifecycleListener(checkerThrower);
            c.addLifecycleListener((d, e) -> {
                audit.onLifecycleChange(d, e);
                checkerThrower.confirm(e);
            });
        }

        SimHost host() {
            return checker.simulatedHost().orElseThrow(() -> new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN,
                    "xl state " + number + " has no host"));
        }
    }

    /** The domid wraps of {@code g}'s simulated host so far; 0 if it has none (any more). */
    private static long domidWraps(Generation g) {
        try {
            return g.host().domidWraps();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    @Override
    public Map<String, Long> counterWraps() {
        synchronized (genLock) {
            Generation g = current;
            return Map.of("domids", closedDomidWraps + (g != null && !g.closing ? domidWraps(g) : 0));
        }
    }

    private Generation openGeneration(int number, boolean afterRestart) {
        synchronized (genLock) {
            return new Generation(number, afterRestart);
        }
    }

    private void restarter() {
        long period = plan.millis(FaultKind.STATE_RESTART);
        int number = 1;
        while (!stopping) {
            try {
                if (stopLatch.await(period, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            synchronized (genLock) {
                if (stopping || finished) {
                    return;
                }
                Generation old = current;
                int pending = old.checker.operationStats().map(DomainsStats::inProgress).orElse(0);
                if (pending > 0) {
                    restartsWithPendingOps.incrementAndGet();
                }
                ledger.injected(FaultKind.STATE_RESTART);
                restarts.incrementAndGet();
                closeGeneration(old);
                try {
                    current = new Generation(++number, true);
                } catch (RuntimeException e) {
                    // Without a state nothing can go on: say so loudly; the clients stop failing into it.
                    notes.add("restart " + number + " could not open a new xl state: " + e);
                    log.error("xl soak: could not open a new xl state after a restart", e);
                    stop();
                    return;
                }
            }
        }
    }

    /** Closes a state with whatever is pending and sums what it leaves. genLock held. */
    private void closeGeneration(Generation g) {
        closedDomidWraps += domidWraps(g);
        g.closing = true;
        long t0 = System.nanoTime();
        g.manager.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        maxCloseMs.accumulateAndGet(ms, Math::max);
        // The loop runs the frees of what the close removed: wait for them (bounded).
        long deadline = System.nanoTime() + FAULT_WAIT.toNanos();
        while ((g.view.freesOwed() > 0 || g.view.liveRegistrations() > 0) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        BridgeStats bridge = g.checker.bridgeStats();
        LibxlStats ctx = g.checker.contextStats();
        DomainsStats ops = g.checker.operationStats().orElse(null);
        long leak = (long) bridge.liveTimeouts() + bridge.liveFds() + ctx.busyNexi() + g.view.liveRegistrations()
                + g.view.freesOwed() + (ops == null ? 0 : ops.inProgress());
        if (leak > 0) {
            notes.add("state " + g.number + " left after close: bridge " + bridge.liveTimeouts() + "+"
                    + bridge.liveFds() + ", busy nexi " + ctx.busyNexi() + ", loop registrations "
                    + g.view.liveRegistrations() + ", frees owed " + g.view.freesOwed() + ", libxl operations "
                    + (ops == null ? 0 : ops.inProgress()));
        }
        i4 += leak;
        i1 += ctx.timeoutsOnIdleNexus();
        i2 += ctx.timeoutsFiredEarly();
        i3 += bridge.violations();
        i7 += protocol == DeregistrationProtocol.ASAP_MODIFY ? bridge.legacyDeregisterCalls() : 0;
        long aoViolations = g.aos.closeAndCountUnsettled();
        i10 += (ops == null ? 0 : ops.violations()) + aoViolations;
        if (aoViolations > 0) {
            notes.add("state " + g.number + ": " + aoViolations + " shutdown/reboot aos not completed exactly once");
        }
        droppedAtRestart += g.audit.dropUndelivered();
        long[] ev = g.audit.counts();
        eventsProduced += ev[0];
        eventsDelivered += ev[1];
        eventsDuplicated += ev[2];
        eventsOutOfOrder += ev[3];
        eventsOffLoop += ev[4];
        for (ThrowingListener t : g.throwers) {
            throwsCut += t.abandon();
        }
        log.debug("xl state {} closed in {} ms", g.number, ms);
    }

    // ================================================================== finish

    @Override
    public Map<String, Long> finish() throws InterruptedException {
        stop();
        long deadline = System.nanoTime() + QUIESCE.toNanos();
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                synchronized (genLock) {
                    notes.add(t.getName() + " still busy " + QUIESCE.toSeconds() + " s after stop");
                }
            }
        }
        endNanos = System.nanoTime();
        aborter.shutdown();
        synchronized (genLock) {
            if (finished) {
                return violations();
            }
            finished = true;
            Generation g = current;
            // Let what the clients started end (libxl aos, on_* actions) and its events arrive.
            long qd = System.nanoTime() + QUIESCE.toNanos();
            while (System.nanoTime() < qd && (g.checker.operationStats().map(DomainsStats::inProgress).orElse(0) > 0
                    || g.audit.pending() > 0)) {
                Thread.sleep(5);
            }
            eventsLost += g.audit.pending(); // the connection is still open: undelivered is lost
            long throwsPending = g.checkerThrower.pending();
            if (throwsPending > 0) {
                notes.add(throwsPending + " events a listener threw on never reached the next listener");
            }
            g.audit.dropUndelivered();
            closeGeneration(g);
            return violations();
        }
    }

    /** genLock held. */
    private Map<String, Long> violations() {
        Map<String, Long> v = new TreeMap<>();
        v.put("I1", i1);
        v.put("I2", i2);
        v.put("I3", i3);
        v.put("I4", i4);
        v.put("I7", i7);
        v.put("I9", eventsLost + eventsDuplicated + eventsOutOfOrder + eventsOffLoop);
        v.put("I10", i10);
        return v;
    }

    /** Events produced by a state and not delivered when a restart closed its checking connection. */
    public long eventsDroppedAtRestart() {
        synchronized (genLock) {
            return droppedAtRestart;
        }
    }

    /** Listener throws whose event a restart's close dropped before the next listener got it. */
    public long listenerThrowsCutByRestart() {
        synchronized (genLock) {
            return throwsCut;
        }
    }

    /** Faults (crash, silent, abort) whose recovery a restart interrupted. */
    public long faultsInterruptedByRestart() {
        return interruptedByRestart.sum();
    }

    /** Faults injected and not recovered with no restart to blame (each is logged). */
    public long faultsNotRecovered() {
        return faultNotRecovered.sum();
    }

    /** Operations that failed with an error nothing injected explains. */
    public long unexpectedFailures() {
        return unexpected.sum();
    }

    /** State restarts done, and how many of them had libxl operations in flight. */
    public long[] restarts() {
        return new long[] {restarts.get(), restartsWithPendingOps.get()};
    }

    /** Notes for the report (leaks found, threads still busy). */
    public List<String> notes() {
        synchronized (genLock) {
            return List.copyOf(notes);
        }
    }

    @Override
    public String summary() {
        long end = endNanos == 0 ? System.nanoTime() : endNanos;
        double secs = Math.max(1e-9, (end - startNanos) / 1e9);
        synchronized (genLock) {
            return String.format(java.util.Locale.ROOT, "xl: %d operations (%.0f/s; %d ok, %d conflicts, %d unexpected"
                    + " failures), %d clients x %d domains, %d state restarts (%d with operations pending, longest"
                    + " close %d ms), events %d/%d delivered, %d dropped at a restart; faults not recovered %d,"
                    + " interrupted by a restart %d", operations.sum(), operations.sum() / secs, succeeded.sum(),
                    conflicts.sum(), unexpected.sum(), clientCount, domainCount, restarts.get(),
                    restartsWithPendingOps.get(), maxCloseMs.get(), eventsDelivered, eventsProduced,
                    droppedAtRestart, faultNotRecovered.sum(), interruptedByRestart.sum());
        }
    }

    @Override
    public void close() {
        stop();
        aborter.shutdownNow();
        synchronized (genLock) {
            if (closed) {
                return;
            }
            closed = true;
            Generation g = current;
            if (g != null && !finished) {
                g.closing = true;
                g.manager.close();
            }
        }
    }

    // ================================================================== the clients

    /** One management client: its own connection (re-opened after a restart), its own domains. */
    private final class Client implements Runnable {
        private final List<String> names;
        private final SplittableRandom rng;
        private Generation gen;
        private XlConnect conn;
        private ThrowingListener thrower;
        private final Map<String, Domain> handles = new HashMap<>();
        /** Index of each of this client's domains in {@link #delivered}. */
        private final Map<String, Integer> index = new HashMap<>();
        /**
         * Events of each of this client's domains delivered on its current connection (written by its
         * listener on the loop thread). Equal to what the domain produced when nothing is in flight.
         */
        private volatile java.util.concurrent.atomic.AtomicLongArray delivered;
        /** The crash a client waits for: the domain's name while waiting, else null. */
        private volatile String crashOf;
        private volatile CountDownLatch crashSeen;

        Client(List<String> names, SplittableRandom rng) {
            this.names = names;
            this.rng = rng;
            for (int i = 0; i < names.size(); i++) {
                index.put(names.get(i), i);
            }
        }

        /**
         * Waits (bounded) until nothing of the domain is still to come: no shutdown or reboot of it in flight
         * (a reboot counts until the driver handled its end) and every event it produced delivered here.
         * Else the guest's answer to an earlier request, or its late STOPPED event, would be taken for the
         * answer to a fault's request. False if it did not settle in time (then no fault is injected).
         */
        private boolean settled(Generation g, String name) {
            int i = index.get(name);
            long deadline = System.nanoTime() + FAULT_WAIT.toNanos();
            while (!(g.aos.quiet(name) && g.audit.producedFor(name) == delivered.get(i))) {
                if (g.closing || stopping || System.nanoTime() - deadline > 0) {
                    return false;
                }
                LockSupport.parkNanos(100_000);
            }
            return true;
        }

        @Override
        public void run() {
            while (!stopping) {
                if (!connected()) {
                    LockSupport.parkNanos(1_000_000);
                    continue;
                }
                Generation g = gen;
                try {
                    step(g, domain(names.get(rng.nextInt(names.size()))));
                } catch (DriverException e) {
                    failed(g, e, null);
                } catch (RuntimeException e) {
                    if (g.closing) {
                        ledger.failedOperation(FaultKind.STATE_RESTART);
                    } else {
                        unexpected.increment();
                        log.warn("xl soak client {}: unexpected failure", Thread.currentThread().getName(), e);
                    }
                }
            }
            if (conn != null) {
                try {
                    conn.close();
                } catch (RuntimeException e) {
                    log.debug("closing a client connection: {}", e.toString());
                }
            }
        }

        private Domain domain(String name) {
            Domain d = handles.get(name);
            if (d == null) {
                d = conn.domainLookupByName(name);
                handles.put(name, d);
            }
            return d;
        }

        /** Connected to the current state? Reconnects after a restart. */
        private boolean connected() {
            Generation g = current;
            if (g == gen && conn != null) {
                return !g.closing; // closing: wait for the next state rather than fail every call into this one
            }
            if (conn != null) {
                try {
                    conn.close();
                } catch (RuntimeException e) {
                    log.debug("closing a client connection of a closed state: {}", e.toString());
                }
            }
            conn = null;
            handles.clear();
            if (g == null || g.closing) {
                return false;
            }
            XlConnect c = null;
            try {
                c = (XlConnect) g.manager.open("xl:///system");
                java.util.concurrent.atomic.AtomicLongArray counts =
                        new java.util.concurrent.atomic.AtomicLongArray(names.size());
                delivered = counts;
                ThrowingListener t = new ThrowingListener(rng.split());
                c.addLifecycleListener(t);
                c.addLifecycleListener((d, e) -> {
                    t.confirm(e);
                    Integer i = index.get(d.getName());
                    if (i != null) {
                        counts.incrementAndGet(i);
                    }
                    String waiting = crashOf;
                    if (waiting != null && e.getType() == DomainEventType.STOPPED
                            && (Object) e.getDetail() == StoppedDetail.CRASHED && waiting.equals(d.getName())) {
                        crashSeen.countDown();
                    }
                });
                g.throwers.add(t);
                conn = c;
                thrower = t;
                gen = g;
                return true;
            } catch (DriverException e) {
                // The state closed under us (the next one comes), or the loop refused the event timer.
                if (c != null) {
                    c.close();
                }
                return false;
            }
        }

        private void step(Generation g, Domain d) {
            if (!d.isActive()) {
                op(g, d::create);
                return;
            }
            DomainState s = d.getInfo().state();
            switch (s) {
                case VIR_DOMAIN_PAUSED -> op(g, d::resume);
                case VIR_DOMAIN_RUNNING -> running(g, d);
                default -> op(g, d::destroy); // shut down or crashed and preserved
            }
        }

        private void running(Generation g, Domain d) {
            if (plan.roll(FaultKind.GUEST_CRASH, rng)) {
                if (settled(g, d.getName())) {
                    crash(g, d);
                }
                return;
            }
            if (plan.roll(FaultKind.ABORT, rng)) {
                if (settled(g, d.getName())) {
                    abort(g, d);
                }
                return;
            }
            int r = rng.nextInt(100);
            if (r < 30) {
                // Settled first, fault or not: a late STOPPED of an earlier reboot would end the wait early
                // (Domains.shutdownOrDestroy listens by UUID), and the guest's answer then destroy the domain
                // under this client's next operation.
                boolean silent = plan.roll(FaultKind.GUEST_SILENT, rng);
                shutdownWait(g, d, settled(g, d.getName()) && silent);
            } else if (r < 45) {
                op(g, d::reboot);
            } else if (r < 65) {
                op(g, d::suspend);
            } else if (r < 85) {
                String disk = DiskDefinition.file("/var/lib/xlbridge/" + d.getName() + "-data.img", "xvdb").toXml();
                if (op(g, () -> d.attachDevice(disk))) {
                    op(g, () -> d.detachDevice(disk));
                }
            } else {
                op(g, d::destroy);
            }
        }

        /** One lifecycle call; true if it succeeded. */
        private boolean op(Generation g, Runnable call) {
            try {
                call.run();
                operations.increment();
                succeeded.increment();
                if (g.recoveryPending.get() && g.recoveryPending.compareAndSet(true, false)) {
                    ledger.recovered(FaultKind.STATE_RESTART);
                }
                return true;
            } catch (DriverException e) {
                operations.increment();
                failed(g, e, null);
                return false;
            }
        }

        /** Classifies a failed call: the restart's cost, a fault's cost, a conflict, or unexpected. */
        private void failed(Generation g, DriverException e, FaultKind during) {
            if (g.closing || current != g) {
                ledger.failedOperation(FaultKind.STATE_RESTART);
            } else if (during != null) {
                ledger.failedOperation(during);
            } else if (String.valueOf(e.getMessage()).contains(LibxlError.OSEVENT_REG_FAIL.name())
                    || e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("OSEVENT_REG_FAIL")) {
                // The soak's loop refused a registration (fault reg-fail): libxl failed the operation so.
                ledger.failedOperation(FaultKind.REG_FAIL);
            } else if (e.getError() == ErrorNumber.VIR_ERR_OPERATION_INVALID
                    || e.getError() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                conflicts.increment();
            } else {
                unexpected.increment();
                log.warn("xl soak client {}: unexpected driver error: {}", Thread.currentThread().getName(),
                        e.getMessage());
            }
        }

        /** A fault whose recovery did not happen: blamed on a restart if one came, else counted and logged. */
        private void notRecovered(Generation g, FaultKind kind, String why) {
            if (g.closing || current != g) {
                interruptedByRestart.increment();
            } else {
                faultNotRecovered.increment();
                log.warn("xl soak: {} fault not recovered: {}", kind.key(), why);
            }
        }

        private void shutdownWait(Generation g, Domain d, boolean silent) {
            if (silent) {
                silent = g.host().silenceNextRequest(d.getID());
                if (silent) {
                    ledger.injected(FaultKind.GUEST_SILENT);
                }
            }
            try {
                ShutdownResult res = Domains.shutdownOrDestroy(conn, d, SHUTDOWN_WAIT);
                operations.increment();
                succeeded.increment();
                if (silent) {
                    if (res == ShutdownResult.DESTROYED_AFTER_TIMEOUT) {
                        ledger.recovered(FaultKind.GUEST_SILENT);
                    } else {
                        notRecovered(g, FaultKind.GUEST_SILENT, d.getName() + " stopped by itself");
                    }
                }
            } catch (DriverException e) {
                operations.increment();
                failed(g, e, silent ? FaultKind.GUEST_SILENT : null);
                if (silent) {
                    notRecovered(g, FaultKind.GUEST_SILENT, e.getMessage());
                }
            }
        }

        private void crash(Generation g, Domain d) {
            String name = d.getName();
            CountDownLatch seen = new CountDownLatch(1);
            crashSeen = seen;
            crashOf = name;
            try {
                if (!g.host().crash(d.getID())) {
                    return; // not running any more (it stopped meanwhile): nothing injected
                }
                ledger.injected(FaultKind.GUEST_CRASH);
                boolean arrived;
                try {
                    arrived = seen.await(FAULT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!arrived) {
                    notRecovered(g, FaultKind.GUEST_CRASH, "no STOPPED/CRASHED event for " + name + " within "
                            + FAULT_WAIT.toSeconds() + " s");
                    return;
                }
            } finally {
                crashOf = null;
            }
            // on_crash = destroy: the STOPPED event is queued once the domain is destroyed; it must start again.
            try {
                d.create();
                operations.increment();
                succeeded.increment();
                ledger.recovered(FaultKind.GUEST_CRASH);
            } catch (DriverException e) {
                operations.increment();
                failed(g, e, FaultKind.GUEST_CRASH);
                notRecovered(g, FaultKind.GUEST_CRASH, "create after the crash failed: " + e.getMessage());
            }
        }

        private void abort(Generation g, Domain d) {
            if (!g.host().silenceNextRequest(d.getID())) {
                return;
            }
            LAST_STARTED_AO.remove();
            if (!op(g, d::reboot)) {
                return; // refused (a restart, or a state the reboot does not take): nothing in flight
            }
            Long ao = LAST_STARTED_AO.get();
            if (ao == null || !g.aos.watch(ao)) {
                return; // completed already (it cannot for a silent guest before 2 s; a restart's abort can)
            }
            ledger.injected(FaultKind.ABORT);
            Future<?> destroy = aborter.submit(d::destroy);
            try {
                destroy.get(FAULT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                operations.increment();
                succeeded.increment();
            } catch (ExecutionException e) {
                operations.increment();
                if (e.getCause() instanceof DriverException de) {
                    failed(g, de, FaultKind.ABORT);
                } else {
                    unexpected.increment();
                    log.warn("xl soak: the aborting destroy failed", e.getCause());
                }
                notRecovered(g, FaultKind.ABORT, "destroy failed: " + e.getCause());
                return;
            } catch (TimeoutException e) {
                notRecovered(g, FaultKind.ABORT, "destroy did not return within " + FAULT_WAIT.toSeconds() + " s");
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            int[] w;
            try {
                w = g.aos.awaitCompletion(ao, FAULT_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (w[0] != 1 || w[1] != LibxlError.ABORTED.code()) {
                notRecovered(g, FaultKind.ABORT, "the aborted reboot of " + d.getName() + " completed " + w[0]
                        + " times, last with " + LibxlError.describe(w[1]));
                return;
            }
            try {
                d.create();
                operations.increment();
                succeeded.increment();
                ledger.recovered(FaultKind.ABORT);
            } catch (DriverException e) {
                operations.increment();
                failed(g, e, FaultKind.ABORT);
                notRecovered(g, FaultKind.ABORT, "create after the abort failed: " + e.getMessage());
            }
        }
    }

    // ================================================================== listener faults

    /** Thrown by an injected listener failure; no stack trace (the queue logs it, and it is expected). */
    static final class InjectedListenerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedListenerFailure() {
            super("injected lifecycle listener failure (soak fault listener-throw)", null, false, false);
        }
    }

    /**
     * The first listener of a connection: throws for a rolled event and remembers it until the next listener
     * of the connection confirms it got that event too. Locking: {@code this} guards the random and the set.
     */
    private final class ThrowingListener implements LifecycleListener {
        private final SplittableRandom rng;
        private final Set<DomainEvent> thrown = Collections.newSetFromMap(new IdentityHashMap<>());

        ThrowingListener(SplittableRandom rng) {
            this.rng = rng;
        }

        @Override
        public void onLifecycleChange(Domain domain, DomainEvent event) {
            synchronized (this) {
                if (!plan.roll(FaultKind.LISTENER_THROW, rng)) {
                    return;
                }
                thrown.add(event);
            }
            ledger.injected(FaultKind.LISTENER_THROW);
            throw new InjectedListenerFailure();
        }

        void confirm(DomainEvent event) {
            boolean was;
            synchronized (this) {
                was = thrown.remove(event);
            }
            if (was) {
                ledger.recovered(FaultKind.LISTENER_THROW);
            }
        }

        synchronized int pending() {
            return thrown.size();
        }

        /** The connection closed: what is still unconfirmed never will be. */
        synchronized int abandon() {
            int n = thrown.size();
            thrown.clear();
            return n;
        }
    }

    // ================================================================== I10 for the aos a caller does not wait for

    /**
     * Every shutdown and reboot ao of one state, from start to completion: each must complete exactly once.
     * Only aos in flight are held (bounded). A completion may arrive before its {@code started} (the guest
     * answered before the API call returned): it waits in {@link #early} until then. Locking: {@code this}.
     */
    private static final class AoLedger implements OperationJournal {
        /** Ao id to domain, for aos started and not completed. */
        private final Map<Long, String> inFlight = new HashMap<>();
        private final Map<String, Integer> inFlightByDomain = new HashMap<>();
        /** Completions seen before their start, by ao id. */
        private final Map<Long, Integer> early = new HashMap<>();
        private final Map<Long, int[]> watched = new HashMap<>();

        @Override
        public void started(String domain, String operation, long aoId) {
            synchronized (this) {
                if (early.remove(aoId) == null) {
                    inFlight.put(aoId, domain);
                    inFlightByDomain.merge(domain, 1, Integer::sum);
                }
            }
            LAST_STARTED_AO.set(aoId);
        }

        @Override
        public synchronized void completed(String domain, String operation, long aoId, int rc) {
            int[] w = watched.get(aoId);
            if (w != null) {
                w[0]++;
                w[1] = rc;
                notifyAll();
            }
            String d = inFlight.remove(aoId);
            if (d == null) {
                early.merge(aoId, 1, Integer::sum); // before its start was journaled, or a second completion
            } else if (inFlightByDomain.merge(d, -1, Integer::sum) == 0) {
                inFlightByDomain.remove(d);
            }
        }

        /** No shutdown or reboot of {@code domain} in flight. */
        synchronized boolean quiet(String domain) {
            return !inFlightByDomain.containsKey(domain);
        }

        /** Watches an ao in flight; false if it is not (completed already). */
        synchronized boolean watch(long aoId) {
            if (!inFlight.containsKey(aoId)) {
                return false;
            }
            watched.put(aoId, new int[] {0, 0});
            return true;
        }

        /** Waits (bounded) for a watched ao's completion, stops watching: {completions seen, last rc}. */
        synchronized int[] awaitCompletion(long aoId, Duration bound) throws InterruptedException {
            long deadline = System.nanoTime() + bound.toNanos();
            int[] w = watched.get(aoId);
            while (w != null && w[0] == 0 && System.nanoTime() - deadline < 0) {
                wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
            watched.remove(aoId);
            return w == null ? new int[] {0, 0} : w;
        }

        /**
         * The state closed (so every ao completed): aos never completed, or completed twice. (A single
         * completion whose start was not journaled yet is the caller's thread being slow, not a breach.)
         */
        synchronized long closeAndCountUnsettled() {
            long n = inFlight.size() + early.values().stream().filter(c -> c > 1).count();
            inFlight.clear();
            inFlightByDomain.clear();
            early.clear();
            watched.clear();
            notifyAll();
            return n;
        }
    }
}
