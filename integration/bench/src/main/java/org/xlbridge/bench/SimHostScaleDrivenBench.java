package org.xlbridge.bench;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xlbridge.driver.OsEventBridge;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.ao.Ao;
import org.xlbridge.libxl.ao.AoHow;
import org.xlbridge.libxl.ao.DiskConfig;
import org.xlbridge.libxl.ao.DomainConfig;
import org.xlbridge.libxl.ao.LibxlDomains;
import org.xlbridge.posix.Posix;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.SimHost;

/**
 * {@link SimHostScaleBench}'s disk attach + detach with the thread hops taken out, so that the figure is the work
 * and not the scheduler of a loaded machine: the benchmark thread runs the host's scripted actions
 * ({@link SimHost#runDue()}) and turns the embedded loop ({@code runOnce()}) itself. The only other thread left is
 * the store's writer, which puts each notification into the pipe. Same host: {@code size} domains, each with a
 * pending watch and a 40 s timeout.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SimHostScaleDrivenBench {
    private static final int PROBE_DEVID = 51728;

    /** Domains on the host, each with a pending watch and timeout. */
    @Param({"100", "10000"})
    public int size;

    private PollEventLoop loop;
    private LibxlContext ctx;
    private SimHost host;
    private LibxlDomains doms;
    private int probe;
    private final boolean[] done = new boolean[1];
    private final int[] rc = new int[1];
    private AoHow how;

    @Setup(Level.Trial)
    public void setUp() {
        loop = new PollEventLoop();
        OsEventBridge bridge = new OsEventBridge(loop);
        ctx = LibxlContext.builder().hooks(bridge).build();
        bridge.attach(ctx);
        host = new SimHost(System::nanoTime); // no clock thread: this thread runs what is due
        doms = new LibxlDomains(ctx, host, ev -> { });
        how = AoHow.callback((ao, r) -> {
            done[0] = true;
            rc[0] = r;
        });
        GuestScript mute = GuestScript.cooperative().withBackendAnswerMs(GuestScript.NEVER);
        for (int i = 0; i < size; i++) {
            Ao c = doms.create(new DomainConfig("pending" + i, UUID.randomUUID(), 65_536, 1, null, mute), how);
            doms.diskAttach(c.domid(), new DiskConfig(51712, "xvda", "/img"), AoHow.callback((ao, r) -> { }));
            if (i % 500 == 499) {
                drainNotifications();
            }
        }
        probe = doms.create(DomainConfig.of("probe", 65_536, 1, GuestScript.cooperative().withBackendAnswerMs(0)),
                how).domid();
        drainNotifications(); // each new watch fires once
        if (doms.stats().inProgress() != size) {
            throw new IllegalStateException("expected " + size + " pending operations");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        int pending = doms.stats().inProgress();
        doms.close();
        ctx.close();
        loop.close();
        host.close();
        if (pending != size) {
            throw new IllegalStateException("expected " + size + " pending operations at the end, found " + pending);
        }
    }

    /** Turns the loop until the store's writer has written everything and the fd has been read dry. */
    private void drainNotifications() {
        // Read while the writer writes: 10,000 first firings do not fit in a pipe.
        int fd = doms.watcher().connection().fd();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            while (true) {
                while (Posix.pollNow(fd, Posix.POLLIN) != 0) {
                    loop.runOnce();
                }
                if (doms.watcher().connection().awaitFlushed(10) && Posix.pollNow(fd, Posix.POLLIN) == 0) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the store's writer did not flush");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void runUntilDone(Ao ao) {
        while (!done[0]) {
            host.runDue();
            loop.runOnce();
        }
        if (rc[0] != 0) {
            throw new IllegalStateException(ao + " failed");
        }
    }

    /** Attach then detach a disk on the probe, the loop turned by this thread. */
    @Benchmark
    public int diskAttachDetach() {
        done[0] = false;
        Ao a = doms.diskAttach(probe, new DiskConfig(PROBE_DEVID, "xvdb", "/probe"), how);
        runUntilDone(a);
        done[0] = false;
        Ao b = doms.diskDetach(probe, PROBE_DEVID, how);
        runUntilDone(b);
        return rc[0];
    }
}
