package org.xlbridge.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.LifecycleListener;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.libvirtd.PrivateLibvirtd;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * libvirt clients on the loop: domain events per second and event latency (the API call returns → the
 * lifecycle listener runs), for libvirt-java's {@link Connect} on {@code test:///default} and on a
 * private {@code libvirtd} ({@code test+unix:///default}), with the embedded loop registered as
 * libvirt's event implementation ({@link LibvirtEventImpl}) against libvirt's own default loop
 * ({@link LibvirtEventLoop}). Beside them, what libvirt itself costs: the same churn with no listener
 * (driver and, remotely, RPC cost per operation) and one plain call's round trip.
 *
 * <p>libvirt takes one event implementation per process, so each subject runs in a child JVM of its own
 * (same class path, same flags); this process starts the private daemon, runs the children one after
 * another and prints one table with the ratios.
 *
 * <pre>
 * java -cp integration/bench/target/xlbridge-bench.jar org.xlbridge.bench.LibvirtClientBench [--window-ms 3000] [--samples 2000] [--rounds 3]
 * </pre>
 *
 * <p>Each child, on one connection, with a counting listener: a warm-up window and a window of churn,
 * events per second being the events caused divided by the time from the first call to the last event
 * delivered; then
 * {@code samples} operations one at a time, each waiting for its event, for the latency distribution
 * (an event delivered before its call returned counts as 0); then {@code samples} plain calls
 * ({@code getLibVersion}: local for the test driver, one RPC round trip for the daemon); last, with the
 * listener removed, a window of the same churn: operations per second of libvirt alone. A churn cycle
 * is define, create, suspend, resume, destroy, undefine (six operations, six events). The table gives
 * the median of the rounds; the parent prints every round's figures as it goes.
 */
public final class LibvirtClientBench {
    private static final String RESULT = "RESULT ";
    private static final long CHILD_TIMEOUT_SECONDS = 300;

    private LibvirtClientBench() {
    }

    /** Parent: {@code [--window-ms N] [--samples N] [--rounds N]}; child: {@code --child embedded|libvirt --uri U ...}. */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        int windowMs = Integer.parseInt(opts.getOrDefault("window-ms", "3000"));
        int samples = Integer.parseInt(opts.getOrDefault("samples", "2000"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
        if (opts.containsKey("child")) {
            Map<String, String> r = measure(opts.get("child"), opts.get("uri"), windowMs, samples);
            StringBuilder line = new StringBuilder(RESULT);
            r.forEach((k, v) -> line.append(k).append('=').append(v).append(' '));
            System.out.println(line.toString().trim());
            System.out.flush();
            System.exit(0); // libvirt's and the loop's threads are not daemons everywhere: end the child here
        }
        parent(windowMs, samples, rounds);
    }

    // ---------------------------------------------------------------------------------------------
    // Parent

    private static void parent(int windowMs, int samples, int rounds) throws Exception {
        List<String[]> subjects = new ArrayList<>();
        subjects.add(new String[] {"test:///default", "embedded"});
        subjects.add(new String[] {"test:///default", "libvirt"});
        PrivateLibvirtd daemon = null;
        if (PrivateLibvirtd.isInstalled()) {
            daemon = PrivateLibvirtd.start(Files.createTempDirectory("xlbridge-bench-"));
            subjects.add(new String[] {daemon.testUri(), "embedded"});
            subjects.add(new String[] {daemon.testUri(), "libvirt"});
        } else {
            System.out.println("libvirtd not installed (Debian package libvirt-daemon): the private-daemon rows are left out");
        }
        // Rounds interleave the subjects, so that a slow spell of a shared machine hits all of them.
        List<List<Map<String, String>>> bySubject = new ArrayList<>();
        subjects.forEach(s -> bySubject.add(new ArrayList<>()));
        try {
            for (int round = 1; round <= rounds; round++) {
                for (int i = 0; i < subjects.size(); i++) {
                    String[] s = subjects.get(i);
                    Map<String, String> r = runChild(s[1], s[0], windowMs, samples);
                    bySubject.get(i).add(r);
                    System.out.println("  round " + round + ": " + s[1] + " on " + s[0] + ": " + r);
                }
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
        }
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 0; i < subjects.size(); i++) {
            Map<String, String> m = medians(bySubject.get(i));
            String[] s = subjects.get(i);
            m.put("uri", s[0].startsWith("test+unix") ? "test+unix (private libvirtd)" : s[0]);
            m.put("loop", s[1]);
            rows.add(m);
        }
        System.out.println();
        System.out.println(table(rows, windowMs, samples, rounds));
    }

    private static Map<String, String> runChild(String loop, String uri, int windowMs, int samples)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms512m", "-Xmx512m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), LibvirtClientBench.class.getName(),
                "--child", loop, "--uri", uri, "--window-ms", Integer.toString(windowMs),
                "--samples", Integer.toString(samples)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Map<String, String> result = null;
        StringBuilder output = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith(RESULT)) {
                    result = new LinkedHashMap<>();
                    for (String kv : line.substring(RESULT.length()).split(" ")) {
                        int eq = kv.indexOf('=');
                        result.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                } else {
                    output.append(line).append('\n');
                }
            }
        }
        if (!p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("child " + loop + " on " + uri + " did not end");
        }
        if (result == null) {
            throw new IllegalStateException("child " + loop + " on " + uri + " printed no result (exit "
                    + p.exitValue() + "):\n" + output);
        }
        return result;
    }

    /** The Markdown table: one row per URI and loop, then the embedded/libvirt ratios per URI. */
    static String table(List<Map<String, String>> rows, int windowMs, int samples, int rounds) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "median of %d rounds (a child JVM per subject and round); windows of %d ms,"
                + " %d latency samples, %d plain calls%n%n", rounds, windowMs, samples, samples));
        t.append("| connection | loop | churn, no listener (ops/s) | events/s | latency p50 (µs) | latency p99 (µs) | before the call returned | one plain call (µs) | GC in latency phase (ms) |\n");
        t.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map<String, String> r : rows) {
            t.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %.1f | %.1f | %.0f%% | %.1f | %.0f |%n", r.get("uri"),
                    r.get("loop").equals("embedded") ? "embedded, registered" : "libvirt default (LibvirtEventLoop)",
                    d(r, "opsPerSecNoListener"), d(r, "eventsPerSec"),
                    d(r, "latencyP50Micros"), d(r, "latencyP99Micros"), d(r, "earlyPercent"), d(r, "callMicros"),
                    d(r, "gcMillis")));
        }
        t.append("\n| connection | events/s embedded / libvirt | latency p50 libvirt / embedded | latency p99 libvirt / embedded |\n");
        t.append("|---|---:|---:|---:|\n");
        for (Map<String, String> e : rows) {
            if (!e.get("loop").equals("embedded")) {
                continue;
            }
            for (Map<String, String> l : rows) {
                if (l.get("loop").equals("libvirt") && l.get("uri").equals(e.get("uri"))) {
                    t.append(String.format(Locale.ROOT, "| %s | %.2fx | %s | %s |%n", e.get("uri"),
                            d(e, "eventsPerSec") / d(l, "eventsPerSec"),
                            ratio(d(l, "latencyP50Micros"), d(e, "latencyP50Micros")),
                            ratio(d(l, "latencyP99Micros"), d(e, "latencyP99Micros"))));
                }
            }
        }
        return t.toString();
    }

    /** Per key, the median over the rounds (and the range, as key + "Range"). */
    private static Map<String, String> medians(List<Map<String, String>> runs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : runs.get(0).keySet()) {
            double[] v = runs.stream().mapToDouble(r -> d(r, key)).sorted().toArray();
            double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
            out.put(key, fmt(median));
            out.put(key + "Range", fmt(v[0]) + ".." + fmt(v[v.length - 1]));
        }
        return out;
    }

    private static String ratio(double a, double b) {
        return b <= 0 ? "—" : String.format(Locale.ROOT, "%.2fx", a / b);
    }

    private static double d(Map<String, String> r, String key) {
        return Double.parseDouble(r.get(key));
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: [--window-ms N] [--samples N] [--rounds N] (bad argument " + args[i] + ")");
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Child

    /** Counts the events of this run's domains, with the time of the last one; wakes a waiting thread. */
    private static final class Counter implements LifecycleListener {
        final AtomicInteger events = new AtomicInteger();
        final AtomicLong lastNanos = new AtomicLong();
        volatile Thread waiter;

        @Override
        public int onLifecycleChange(Domain domain, org.libvirt.event.DomainEvent event) {
            lastNanos.set(System.nanoTime());
            events.incrementAndGet();
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
            try {
                domain.free(); // instead of libvirt-java's finalizer
            } catch (LibvirtException e) {
                throw new IllegalStateException(e);
            }
            return 0;
        }

        void awaitAtLeast(int n, long timeoutNanos) {
            long deadline = System.nanoTime() + timeoutNanos;
            waiter = Thread.currentThread();
            try {
                while (events.get() < n) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("only " + events.get() + " of " + n + " events arrived");
                    }
                    LockSupport.parkNanos(1_000_000);
                }
            } finally {
                waiter = null;
            }
        }
    }

    private static Map<String, String> measure(String loopKind, String uri, int windowMs, int samples) throws Exception {
        EventLoop loop;
        if (loopKind.equals("embedded")) {
            loop = new PollEventLoop();
            LibvirtEventImpl.register(loop);
        } else if (loopKind.equals("libvirt")) {
            loop = new LibvirtEventLoop();
        } else {
            throw new IllegalArgumentException("loop must be embedded or libvirt: " + loopKind);
        }
        Thread runner = new Thread(loop::run, "bench-loop");
        runner.setDaemon(true);
        runner.start();
        String prefix = "bench-" + ProcessHandle.current().pid() + "-";
        Connect conn = new Connect(uri);
        long[] seq = {0};

        Counter counter = new Counter();
        conn.addLifecycleListener(counter);
        long warm = churn(conn, prefix + "w", windowMs, seq);                         // warm-up
        counter.awaitAtLeast((int) (warm * 6), TimeUnit.SECONDS.toNanos(60));

        int before = counter.events.get();
        long start = System.nanoTime();
        long cycles = churn(conn, prefix + "t", windowMs, seq);
        counter.awaitAtLeast(before + (int) (cycles * 6), TimeUnit.SECONDS.toNanos(60));
        double eventsPerSec = cycles * 6 / ((counter.lastNanos.get() - start) / 1e9);

        long gcBefore = gcMillis();
        long[] latencies = new long[samples];
        int early = 0;
        Domain d = null;
        for (int i = 0; i < samples; i++) {
            int step = i % 6;
            int expected = counter.events.get() + 1;
            if (step == 0) {
                d = conn.domainDefineXML(xml(prefix + "l" + i));
            } else if (step == 1) {
                d.create();
            } else if (step == 2) {
                d.suspend();
            } else if (step == 3) {
                d.resume();
            } else if (step == 4) {
                d.destroy();
            } else {
                d.undefine();
            }
            long returned = System.nanoTime();
            counter.awaitAtLeast(expected, TimeUnit.SECONDS.toNanos(10));
            long lat = counter.lastNanos.get() - returned;
            if (lat < 0) {
                early++;
                lat = 0;
            }
            latencies[i] = lat;
            if (step == 5) {
                d.free();
            }
        }
        if (d != null && samples % 6 != 0) {
            cleanUp(d, samples % 6);
        }
        long gcDuring = gcMillis() - gcBefore;
        Arrays.sort(latencies);

        long callStart = System.nanoTime();
        for (int i = 0; i < samples; i++) {
            conn.getLibVersion();
        }
        double callMicros = (System.nanoTime() - callStart) / 1e3 / samples;

        // libvirt alone: the same churn once the last listener is gone (libvirt then removes its event
        // timer and drops events at once), measured last so that the JIT has warmed the same call paths.
        conn.removeLifecycleListener(counter);
        long cyclesBare = churn(conn, prefix + "b", windowMs, seq);
        double opsNoListener = cyclesBare * 6 / (windowMs / 1000.0);
        conn.close();

        Map<String, String> r = new LinkedHashMap<>();
        r.put("opsPerSecNoListener", fmt(opsNoListener));
        r.put("eventsPerSec", fmt(eventsPerSec));
        r.put("latencyP50Micros", fmt(percentile(latencies, 0.50) / 1e3));
        r.put("latencyP99Micros", fmt(percentile(latencies, 0.99) / 1e3));
        r.put("earlyPercent", fmt(100.0 * early / samples));
        r.put("callMicros", fmt(callMicros));
        r.put("gcMillis", Long.toString(gcDuring));
        r.put("cycles", Long.toString(cycles));
        return r;
    }

    /** Churn cycles on {@code conn} for {@code windowMs}; returns the cycles completed. */
    private static long churn(Connect conn, String prefix, int windowMs, long[] seq) throws LibvirtException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(windowMs);
        long cycles = 0;
        while (System.nanoTime() - end < 0) {
            cycle(conn, prefix + cycles);
            cycles++;
        }
        seq[0] += cycles;
        return cycles;
    }

    private static void cycle(Connect conn, String name) throws LibvirtException {
        Domain d = conn.domainDefineXML(xml(name));
        d.create();
        d.suspend();
        d.resume();
        d.destroy();
        d.undefine();
        d.free();
    }

    /** Undoes a partial cycle so that the driver is left clean. */
    private static void cleanUp(Domain d, int stepsDone) throws LibvirtException {
        if (stepsDone >= 2 && stepsDone <= 4) {
            d.destroy();
        }
        d.undefine();
        d.free();
    }

    private static String xml(String name) {
        return "<domain type='test'><name>" + name + "</name><memory>8192</memory><os><type>hvm</type></os></domain>";
    }

    private static long gcMillis() {
        long total = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static long percentile(long[] sorted, double p) {
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
