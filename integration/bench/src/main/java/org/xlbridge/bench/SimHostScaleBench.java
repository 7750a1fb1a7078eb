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
import org.xlbridge.libxl.ao.DomainsStats;
import org.xlbridge.libxl.ao.LibxlDomains;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.SimHost;

/**
 * Per-operation cost of libxl operations on a simulated host that holds {@code size} domains, each with an operation
 * pending on a xenstore watch and a timeout (a disk attach whose backend never answers: a devstate wait with libxl's
 * 40 s hotplug timeout), through the real bridge on the embedded loop. The target: the cost at 10,000 domains is at
 * most twice the cost at 100.
 *
 * <ul>
 *   <li>{@code pauseUnpause}: pause and unpause a probe domain, synchronously; both complete in their initiating
 *       call, so this is the CPU cost of the operation path (ctx lock, host, bookkeeping) at that size.</li>
 *   <li>{@code diskAttachDetach}: attach and detach a disk on a probe domain whose backend answers at once,
 *       synchronously; each registers a watch and a timeout, and completes when the backend's answer comes back
 *       through the store's fd and the loop: the whole waiting path, thread hops included.</li>
 * </ul>
 *
 * <p>The run must stay under the 40 s hotplug timeout, or the pending operations would time out and stop being
 * pending: setup and teardown check that all {@code size} are still pending, and teardown fails otherwise.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SimHostScaleBench {
    private static final int PROBE_DEVID = 51728;

    /** Domains on the host, each with a pending watch and timeout. */
    @Param({"100", "10000"})
    public int size;

    private PollEventLoop loop;
    private Thread loopThread;
    private LibxlContext ctx;
    private SimHost host;
    private LibxlDomains doms;
    private int probe;
    private long setupDone;

    @Setup(Level.Trial)
    public void setUp() {
        loop = new PollEventLoop();
        OsEventBridge bridge = new OsEventBridge(loop);
        ctx = LibxlContext.builder().hooks(bridge).build();
        bridge.attach(ctx);
        loopThread = new Thread(loop::run, "bench-loop");
        loopThread.setDaemon(true);
        loopThread.start();
        host = SimHost.realTime();
        doms = new LibxlDomains(ctx, host, ev -> { });
        GuestScript mute = GuestScript.cooperative().withBackendAnswerMs(GuestScript.NEVER);
        for (int i = 0; i < size; i++) {
            Ao c = doms.create(new DomainConfig("pending" + i, UUID.randomUUID(), 65_536, 1, null, mute),
                    AoHow.synchronous());
            check(c.rc() == 0, "create failed: " + c);
            doms.diskAttach(c.domid(), new DiskConfig(51712, "xvda", "/img"), AoHow.callback((ao, rc) -> { }));
        }
        Ao p = doms.create(DomainConfig.of("probe", 65_536, 1, GuestScript.cooperative().withBackendAnswerMs(0)),
                AoHow.synchronous());
        check(p.rc() == 0, "probe create failed");
        probe = p.domid();
        checkPending();
        setupDone = System.nanoTime();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            checkPending();
            check(System.nanoTime() - setupDone < TimeUnit.MILLISECONDS.toNanos(LibxlDomains.HOTPLUG_TIMEOUT_MS),
                    "the trial outlived the hotplug timeout");
        } finally {
            doms.close();
            ctx.close();
            loop.stop();
            try {
                loopThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            loop.close();
            host.close();
        }
    }

    private void checkPending() {
        DomainsStats s = doms.stats();
        check(s.inProgress() == size, "expected " + size + " pending operations, found " + s.inProgress());
        check(s.registeredWatches() >= size, "expected " + size + " live watches, found " + s.registeredWatches());
        check(ctx.stats().registeredTimeEvents() >= size, "expected " + size + " pending timeouts");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    /** Pause then unpause the probe: two operations that complete in their initiating call. */
    @Benchmark
    public int pauseUnpause() {
        Ao a = doms.pause(probe, AoHow.synchronous());
        Ao b = doms.unpause(probe, AoHow.synchronous());
        return a.rc() + b.rc();
    }

    /** Attach then detach a disk on the probe: two operations that each wait on a watch and a timeout. */
    @Benchmark
    public int diskAttachDetach() {
        Ao a = doms.diskAttach(probe, new DiskConfig(PROBE_DEVID, "xvdb", "/probe"), AoHow.synchronous());
        Ao b = doms.diskDetach(probe, PROBE_DEVID, AoHow.synchronous());
        int rc = a.rc() + b.rc();
        if (rc != 0) {
            throw new IllegalStateException("probe attach/detach failed: " + a + " " + b);
        }
        return rc;
    }
}
