package org.xlbridge.host;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.HdrHistogram.Histogram;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.daemon.server.Daemon;
import org.xlbridge.daemon.server.DaemonConfig;
import org.xlbridge.daemon.server.DaemonStats;
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
import org.xlbridge.driver.xl.XlConnect;
import org.xlbridge.driver.xl.XlStats;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.ao.DomainsStats;

/**
 * Runs {@code xlbridge host}: a simulated Xen host of N domains with a seeded random guest mix, opened as
 * {@code xl:///system} through the driver plugin on the chosen loop and protocol; M management clients,
 * each with its own connection and its own share of the domains, run lifecycle operations through the
 * driver API for the duration. Meanwhile an {@link EventAudit} checks every lifecycle event (I9) and an
 * {@link IdAuditLoop} every loop id (I8). At the end the runtime is closed in libvirt's order and the
 * driver's, libxl's and the bridge's counters give I1-I4, I7 and I10.
 *
 * <p>Over the daemon ({@link HostOptions#overDaemon()}): the same host is served by the daemon (libvirt's RPC
 * protocol on a unix socket in a temporary directory) on the same loop, and the clients and both checking
 * connections are libvirt-java connections through the {@code libvirt} driver to
 * {@code xen+unix:///system?socket=...}, the loop being libvirt's event implementation. A
 * {@link WireEventAudit} then checks I9 on events that crossed the wire; the xl driver's counters are read on
 * the daemon's side. Closing: the client connections and their frees on the loop, the daemon, the driver
 * state, the loop.
 *
 * <p>Threads: the loop thread runs every callback; client threads each own their connection; the run's
 * thread owns everything else. Shared state is the audits' (their own monitors) and atomics.
 */
public final class HostRunner {
    private static final Logger log = LoggerFactory.getLogger(HostRunner.class);
    private static final Duration QUIESCE = Duration.ofSeconds(15);

    private final HostOptions options;
    private final PrintStream out;
    /** Wraps the checking connection's listener (identity in production; a test seam to break delivery). */
    private final UnaryOperator<LifecycleListener> checkerTap;

    public HostRunner(HostOptions options, PrintStream out) {
        this(options, out, UnaryOperator.identity());
    }

    /** A test seam: {@code checkerTap} stands between the checking connection and its I9 listeners. */
    HostRunner(HostOptions options, PrintStream out, UnaryOperator<LifecycleListener> checkerTap) {
        this.options = options;
        this.out = out;
        this.checkerTap = checkerTap;
    }

    public HostReport run() throws InterruptedException {
        IdAuditLoop loop = new IdAuditLoop(options.loop().newLoop());
        // Over the daemon, libvirt's client connections must run on this loop: libvirt's default loop already
        // is libvirt's; any other loop is made libvirt's event implementation, before the first connection.
        EventLoop clientLoop = loop;
        LibvirtEventImpl impl = null;
        if (options.overDaemon()) {
            if (loop.inner() instanceof LibvirtEventLoop) {
                clientLoop = loop.inner(); // the libvirt driver recognises libvirt's own loop, not the wrapper
            } else {
                try {
                    impl = LibvirtEventImpl.register(loop);
                } catch (RuntimeException e) {
                    loop.close();
                    throw new IllegalStateException("cannot make the loop libvirt's event implementation: "
                            + e.getMessage(), e);
                }
            }
        }
        Thread loopThread = new Thread(loop::run, "xlbridge-loop");
        loopThread.setDaemon(true);
        loopThread.start();
        // The xl driver's runtime: the clients' in-process, the daemon's over the daemon.
        DriverManager manager = new DriverManager(new DriverEnvironment(loop, options.protocol()));
        // The clients' runtime: the same in-process; the libvirt driver (libvirt-java) over the daemon.
        DriverManager clientManager = options.overDaemon()
                ? new DriverManager(new DriverEnvironment(clientLoop, options.protocol())) : manager;
        Daemon daemon = null;
        Path socketDir = null;
        List<String> notes = new ArrayList<>();
        long start = System.nanoTime();
        OpStats ops = new OpStats();
        AtomicLong byGuest = new AtomicLong();
        AtomicLong byTimeout = new AtomicLong();
        LifecycleAudit audit = options.overDaemon() ? new WireEventAudit(loopThread) : new EventAudit(loopThread);
        SequenceComparison across = options.overDaemon() ? SequenceComparison.byValue() : new SequenceComparison();
        XlConnect checker;
        try {
            checker = (XlConnect) manager.open(options.uri());
            checker.setEventJournal(audit);
            String clientUri = "xl:///system";
            Connect watching = checker;
            if (options.overDaemon()) {
                socketDir = Files.createTempDirectory("xlbridge-host-");
                daemon = new Daemon(loop, manager, DaemonConfig.of(socketDir.resolve("xl.sock").toAbsolutePath(), null,
                        options.uri())).start();
                clientUri = "xen+unix:///system?socket=" + daemon.config().socket();
                watching = clientManager.open(clientUri);
            }
            LifecycleListener first = across.first();
            LifecycleListener checking = (d, e) -> {
                audit.onLifecycleChange(d, e);
                first.onLifecycleChange(d, e);
            };
            watching.addLifecycleListener(checkerTap.apply(checking));
            // A second connection that must see the very same sequence (I9 across connections).
            clientManager.open(clientUri).addLifecycleListener(across.second());

            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < options.clients(); c++) {
                List<String> mine = new ArrayList<>();
                for (int i = 1 + c; i <= options.domains(); i += options.clients()) {
                    mine.add("sim-" + i);
                }
                Client client = new Client(clientManager.open(clientUri), mine, new Random(options.seed() * 31 + c),
                        ops, byGuest, byTimeout, stop);
                Thread t = new Thread(client, "client-" + c);
                t.setDaemon(true);
                clients.add(t);
            }
            clients.forEach(Thread::start);
            long end = start + options.duration().toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                progress(start, ops, audit, checker);
            }
            stop.set(true);
            for (Thread t : clients) {
                t.join(QUIESCE.toMillis());
                if (t.isAlive()) {
                    notes.add(t.getName() + " still busy " + QUIESCE.toSeconds() + " s after the end");
                }
            }
            out.println();
            // Let what the clients started finish (shutdown waits, on_* actions) and its events arrive.
            long deadline = System.nanoTime() + QUIESCE.toNanos();
            while (System.nanoTime() < deadline && (checker.operationStats().map(DomainsStats::inProgress).orElse(0) > 0
                    || audit.counts().lost() > 0 || across.differences() > 0)) {
                Thread.sleep(10);
            }
        } catch (IOException | RuntimeException e) {
            if (clientManager != manager) {
                clientManager.close();
            }
            if (daemon != null) {
                daemon.stop(QUIESCE.toMillis());
            }
            manager.close();
            loop.stop();
            loopThread.join(QUIESCE.toMillis());
            loop.close();
            deleteQuietly(socketDir);
            if (e instanceof IOException) {
                throw new IllegalStateException("cannot serve the daemon's socket: " + e.getMessage(), e);
            }
            throw (RuntimeException) e;
        }
        long durationMs = (System.nanoTime() - start) / 1_000_000;
        EventCounts events = audit.counts().withComparison(across.compared(), across.differences());
        if (events.differentAcrossConnections() > 0) {
            notes.add("two connections saw different event sequences at " + events.differentAcrossConnections()
                    + " of " + events.comparedAcrossConnections() + " positions");
        }
        if (events.lost() > 0) {
            notes.add("events not delivered by the end, e.g. for " + audit.domainsWithLostEvents(5));
        }
        DomainsStats libxlBefore = checker.operationStats().orElseThrow();
        XlStats driver = checker.driverStats();

        // libvirt's order: connections and driver state first, while the loop still turns and frees.
        DaemonStats.Snapshot daemonStats = null;
        long libvirtLeft = 0;
        if (options.overDaemon()) {
            // the clients' libvirt connections, and their frees on the loop; then the daemon's clients
            clientManager.close();
            libvirtLeft = awaitLibvirtFrees(impl, notes);
            daemon.stop(QUIESCE.toMillis());
            daemonStats = daemon.stats();
            deleteQuietly(socketDir);
        }
        manager.close();
        BridgeStats bridge = checker.bridgeStats();
        LibxlStats ctx = checker.contextStats();
        DomainsStats libxlAfter = checker.operationStats().orElseThrow();
        EventLoopStats loopStats = loop.stats();
        loop.stop();
        loopThread.join(QUIESCE.toMillis());
        loop.close();

        Map<String, Long> v = HostReport.emptyViolations();
        v.put("I1", ctx.timeoutsOnIdleNexus());
        v.put("I2", ctx.timeoutsFiredEarly());
        v.put("I3", bridge.violations());
        v.put("I4", (long) bridge.liveTimeouts() + bridge.liveFds() + ctx.timeoutNexiInUse() + ctx.fdNexiInUse()
                + libxlAfter.inProgress() + loopStats.liveTimeouts() + loopStats.liveHandles() + libvirtLeft);
        v.put("I7", options.protocol() == DeregistrationProtocol.ASAP_MODIFY ? bridge.legacyDeregisterCalls() : 0L);
        v.put("I8", loop.reusedIds());
        v.put("I9", events.violations());
        v.put("I10", libxlAfter.violations());
        notes.add("I5 (liveness) is seen as I4 here: an operation or timeout still pending at the end is a leak;"
                + " I6 (reentrancy) is probed by 'xlbridge race', not here");
        if (options.overDaemon()) {
            notes.add("I9 is checked on events that crossed the wire (libvirt-java, matched by domain, type and"
                    + " detail to the daemon's xl driver's journal); I1-I4, I7, I8, I10 and the libxl, bridge"
                    + " and driver figures are the daemon's xl driver's and loop's, in this process");
        }
        return new HostReport(options, durationMs, table(ops), events, byGuest.get(), byTimeout.get(), bridge,
                libxlBefore, driver, daemonStats, v, notes);
    }

    /**
     * libvirt frees a closed connection's socket handle and timers on the loop once nothing references it; a
     * libvirt-java {@code Domain} keeps a reference until it is collected, so collection is nudged. Bounded:
     * what is still registered then is a leak (I4), answered here.
     */
    private static long awaitLibvirtFrees(LibvirtEventImpl impl, List<String> notes) throws InterruptedException {
        if (impl == null) {
            return 0; // libvirt's own loop: libvirt's registrations are not on an xlbridge loop to count
        }
        long deadline = System.nanoTime() + QUIESCE.toNanos();
        while (impl.liveRegistrations() > 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        if (impl.liveRegistrations() > 0) {
            notes.add("libvirt still had " + impl.liveRegistrations() + " registrations on the loop "
                    + QUIESCE.toSeconds() + " s after its connections were closed");
        }
        return impl.liveRegistrations();
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            log.warn("cannot remove {}", dir, e);
        }
    }

    private void progress(long start, OpStats ops, LifecycleAudit audit, XlConnect checker) {
        EventCounts e = audit.counts();
        BridgeStats b = checker.bridgeStats();
        // Events not delivered yet are in flight, not lost: the final count decides.
        long viol = e.duplicated() + e.outOfOrder() + e.offLoopThread() + b.violations()
                + checker.operationStats().map(DomainsStats::violations).orElse(0L)
                + checker.contextStats().timeoutsOnIdleNexus() + checker.contextStats().timeoutsFiredEarly();
        out.printf("\r[%6.1fs] operations %d  events %d/%d  races seen %d  violations so far %d   ",
                (System.nanoTime() - start) / 1e9, ops.total(), e.delivered(), e.expected(), b.modifyWhileFiring(),
                viol);
        out.flush();
    }

    private static HostReport.OperationTable table(OpStats ops) {
        List<HostReport.OperationRow> rows = new ArrayList<>();
        for (OpKind k : OpKind.values()) {
            Histogram h = ops.latencyMicros(k);
            rows.add(new HostReport.OperationRow(k.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                    ops.count(k, OpStats.Outcome.OK), ops.count(k, OpStats.Outcome.TIMED_OUT),
                    ops.count(k, OpStats.Outcome.ABORTED), ops.count(k, OpStats.Outcome.CONFLICT),
                    ops.count(k, OpStats.Outcome.FAILED), h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50),
                    h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99)));
        }
        return new HostReport.OperationTable(rows);
    }

    /** One management client: its own connection, its own domains, one operation at a time. */
    private final class Client implements Runnable {
        private final Connect conn;
        private final List<String> names;
        private final Random rng;
        private final OpStats ops;
        private final AtomicLong byGuest;
        private final AtomicLong byTimeout;
        private final AtomicBoolean stop;

        Client(Connect conn, List<String> names, Random rng, OpStats ops, AtomicLong byGuest, AtomicLong byTimeout,
                AtomicBoolean stop) {
            this.conn = conn;
            this.names = names;
            this.rng = rng;
            this.ops = ops;
            this.byGuest = byGuest;
            this.byTimeout = byTimeout;
            this.stop = stop;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                Domain d = conn.domainLookupByName(names.get(rng.nextInt(names.size())));
                try {
                    step(d);
                } catch (RuntimeException e) {
                    log.warn("client {}: unexpected failure on {}", Thread.currentThread().getName(), d.getName(), e);
                }
            }
        }

        private void step(Domain d) {
            DomainState s = d.getInfo().state();
            boolean active = d.isActive();
            if (!active) {
                op(OpKind.CREATE, d::create);
                return;
            }
            switch (s) {
                case VIR_DOMAIN_PAUSED -> op(OpKind.RESUME, d::resume);
                case VIR_DOMAIN_RUNNING -> {
                    int r = rng.nextInt(100);
                    if (r < 30) {
                        long t0 = System.nanoTime();
                        try {
                            ShutdownResult res = Domains.shutdownOrDestroy(conn, d, options.shutdownWait());
                            (res == ShutdownResult.BY_GUEST ? byGuest : byTimeout).incrementAndGet();
                            ops.record(OpKind.SHUTDOWN_WAIT, res == ShutdownResult.BY_GUEST ? OpStats.Outcome.OK
                                    : OpStats.Outcome.TIMED_OUT, System.nanoTime() - t0);
                        } catch (DriverException e) {
                            ops.record(OpKind.SHUTDOWN_WAIT, outcome(e), System.nanoTime() - t0);
                        }
                    } else if (r < 45) {
                        op(OpKind.REBOOT, d::reboot);
                    } else if (r < 65) {
                        op(OpKind.SUSPEND, d::suspend);
                    } else if (r < 85) {
                        String disk = DiskDefinition.file("/var/lib/xlbridge/" + d.getName() + "-data.img", "xvdb")
                                .toXml();
                        if (op(OpKind.ATTACH_DISK, () -> d.attachDevice(disk))) {
                            op(OpKind.DETACH_DISK, () -> d.detachDevice(disk));
                        }
                    } else {
                        op(OpKind.DESTROY, d::destroy);
                    }
                }
                default -> op(OpKind.DESTROY, d::destroy); // shut down or crashed and preserved
            }
        }

        private boolean op(OpKind kind, Runnable call) {
            long t0 = System.nanoTime();
            try {
                call.run();
                ops.record(kind, OpStats.Outcome.OK, System.nanoTime() - t0);
                return true;
            } catch (DriverException e) {
                ops.record(kind, outcome(e), System.nanoTime() - t0);
                return false;
            }
        }

        private OpStats.Outcome outcome(DriverException e) {
            String m = e.getMessage();
            if (m.contains("TIMEDOUT") || m.contains("timed out")) {
                return OpStats.Outcome.TIMED_OUT;
            }
            if (m.contains("ABORTED") || m.contains("aborted")) {
                return OpStats.Outcome.ABORTED;
            }
            if (e.getError() == ErrorNumber.VIR_ERR_OPERATION_INVALID || e.getError() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return OpStats.Outcome.CONFLICT;
            }
            log.debug("operation failed: {}", m);
            return OpStats.Outcome.FAILED;
        }
    }
}
