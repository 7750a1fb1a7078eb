package org.xlbridge.serve;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.xlbridge.daemon.DaemonModule;
import org.xlbridge.daemon.DaemonRuntime;
import org.xlbridge.daemon.server.DaemonConfig;
import org.xlbridge.daemon.server.DaemonStats;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.DriverConfigModule;
import org.xlbridge.driver.EventLoopModule;
import org.xlbridge.driver.LibxlDriverModule;
import org.xlbridge.driver.spi.DriverPluginModule;
import org.xlbridge.driver.xl.XlConnect;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.ao.DomainsStats;

/**
 * Runs {@code xlbridge serve}: the driver runtime and the daemon wired by Guice (the modules bind, the
 * runtime starts), one line printed when it listens, then serving until {@link #stop()} (the command's
 * SIGINT/SIGTERM handler) or the optional duration. Then libvirt's order: the daemon's clients, the driver's
 * connections and state, the ctx and the loop; and the report, with I1-I10 from the driver's, libxl's, the
 * bridge's and the loop's counters (as {@code xlbridge host} computes them) and the daemon's figures.
 *
 * <p>Thread-safe: {@link #stop()} may come from a signal thread while {@link #run()} waits.
 */
public final class ServeRunner {
    private final ServeOptions options;
    private final PrintStream out;
    private final CountDownLatch stop = new CountDownLatch(1);

    public ServeRunner(ServeOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Ends {@link #run()}'s wait. Any thread. */
    public void stop() {
        stop.countDown();
    }

    public ServeReport run() throws IOException, InterruptedException {
        DaemonConfig daemonConfig = DaemonConfig.of(options.socket().toAbsolutePath(),
                options.readOnlySocket() == null ? null : options.readOnlySocket().toAbsolutePath(), options.hostUri());
        DriverConfig driverConfig = DriverConfig.defaults().withLoop(options.loop()).withProtocol(options.protocol())
                .withUri(options.hostUri());
        Injector injector = Guice.createInjector(new DriverConfigModule(driverConfig), new EventLoopModule(),
                new LibxlDriverModule(), new DriverPluginModule(), new DaemonModule(daemonConfig));
        DaemonRuntime runtime = injector.getInstance(DaemonRuntime.class);
        long start = System.nanoTime();
        runtime.start();
        XlConnect checker;
        WireEventAudit audit;
        try {
            checker = (XlConnect) runtime.driver().connection();
            audit = new WireEventAudit(runtime.driver().loopThread());
            checker.setEventJournal(audit);
            checker.addLifecycleListener(audit);
            out.println("xlbridge serve: listening on " + daemonConfig.socket()
                    + (daemonConfig.readOnlySocket() == null ? "" : " (read-only: " + daemonConfig.readOnlySocket() + ")")
                    + "; virsh -c 'xen+unix:///system?socket=" + daemonConfig.socket() + "'");
            out.flush();
            if (options.duration() == null) {
                stop.await();
            } else {
                stop.await(options.duration().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (RuntimeException | InterruptedException e) {
            runtime.close();
            throw e;
        }
        List<String> notes = new ArrayList<>();
        // libvirt's order: the daemon's clients first (their calls may end), while the loop turns ...
        runtime.stopDaemon(10_000);
        DaemonStats.Snapshot daemon = runtime.daemon().stats();
        // ... let the events of what the clients did reach the checker, then the driver and the loop.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline && (checker.operationStats().map(DomainsStats::inProgress).orElse(0) > 0
                || audit.lost() > 0)) {
            Thread.sleep(10);
        }
        if (audit.lost() > 0) {
            notes.add(audit.lost() + " lifecycle events produced and not delivered by the end");
        }
        runtime.driver().quiesce();
        BridgeStats bridge = checker.bridgeStats();
        LibxlStats ctx = checker.contextStats();
        DomainsStats libxl = checker.operationStats().orElseThrow();
        EventLoopStats loopStats = runtime.driver().loop().stats();
        runtime.close();
        long durationMs = (System.nanoTime() - start) / 1_000_000;

        Map<String, Long> v = new LinkedHashMap<>();
        v.put("I1", ctx.timeoutsOnIdleNexus());
        v.put("I2", ctx.timeoutsFiredEarly());
        v.put("I3", bridge.violations());
        v.put("I4", (long) bridge.liveTimeouts() + bridge.liveFds() + ctx.timeoutNexiInUse() + ctx.fdNexiInUse()
                + libxl.inProgress() + loopStats.liveTimeouts() + loopStats.liveHandles());
        v.put("I5", 0L);
        v.put("I6", 0L);
        v.put("I7", options.protocol() == DeregistrationProtocol.ASAP_MODIFY ? bridge.legacyDeregisterCalls() : 0L);
        v.put("I8", 0L);
        v.put("I9", audit.violations());
        v.put("I10", libxl.violations());
        notes.add("I5 (liveness) is seen as I4: a timeout or operation still pending at the end is a leak;"
                + " I6 and I8 are probed by 'xlbridge race', not here");
        notes.add("I9 is checked on the daemon's own connection, fed by the same event queue as every client's;"
                + " a client whose output queue overflowed was disconnected (outputOverflowDrops)");
        return new ServeReport(options, durationMs, daemon, audit.produced(), audit.delivered(), v, notes);
    }
}
