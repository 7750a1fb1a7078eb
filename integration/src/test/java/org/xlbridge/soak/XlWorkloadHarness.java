package org.xlbridge.soak;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Map;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * Measures the xl workload alone on the embedded loop (not a test): operations per second and heap used after
 * a full GC, every {@code sampleSeconds}, for {@code seconds}. Arguments: seconds sampleSeconds domains clients
 * faults ({@code --faults} syntax, e.g. {@code none} or {@code default}).
 */
public final class XlWorkloadHarness {
    private XlWorkloadHarness() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int sample = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int domains = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int clients = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        FaultPlan plan = args.length > 4 ? FaultPlan.parse(args[4]) : FaultPlan.defaults();
        PollEventLoop loop = new PollEventLoop();
        Thread loopThread = new Thread(loop::run, "harness-loop");
        loopThread.setDaemon(true);
        loopThread.start();
        FaultLedger ledger = new FaultLedger();
        XlWorkload w = new XlWorkload(loop, loopThread, DeregistrationProtocol.ASAP_MODIFY, plan, ledger, 1, domains,
                clients);
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.out.printf("%8s %12s %10s %14s %8s %8s%n", "t(s)", "operations", "ops/s", "heapAfterGC(KB)",
                "pending", "bridge");
        long t0 = System.nanoTime();
        w.start();
        long lastOps = 0;
        long lastT = t0;
        for (int s = sample; s <= seconds; s += sample) {
            long due = t0 + s * 1_000_000_000L;
            while (System.nanoTime() < due) {
                Thread.sleep(Math.max(1, (due - System.nanoTime()) / 1_000_000));
            }
            long ops = w.operations();
            long now = System.nanoTime();
            System.gc();
            long heap = mem.getHeapMemoryUsage().getUsed();
            System.out.printf("%8d %12d %10.0f %14d %8d %8d%n", s, ops, (ops - lastOps) / ((now - lastT) / 1e9),
                    heap / 1024, w.pendingOperations(), w.bridgeRegistrations());
            lastOps = ops;
            lastT = now;
        }
        w.stop();
        Map<String, Long> v = w.finish();
        w.close();
        System.out.println(w.summary());
        System.out.println("violations " + v);
        System.out.println("faults " + ledger.snapshot());
        System.out.println("notes " + w.notes());
        loop.stop();
        loopThread.join(5000);
        loop.close();
    }
}
