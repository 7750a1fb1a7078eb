package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.time.TimeSource;

class SamplerTest {

    /** Counters the test sets. */
    static final class Counters implements SoakCounters {
        final AtomicLong operations = new AtomicLong();
        final AtomicInteger loop = new AtomicInteger();
        final AtomicInteger bridge = new AtomicInteger();
        final AtomicInteger nexi = new AtomicInteger();
        final AtomicInteger pending = new AtomicInteger();

        @Override
        public int loopRegistrations() {
            return loop.get();
        }

        @Override
        public int bridgeRegistrations() {
            return bridge.get();
        }

        @Override
        public int busyNexi() {
            return nexi.get();
        }

        @Override
        public int pendingOperations() {
            return pending.get();
        }

        @Override
        public long operations() {
            return operations.get();
        }
    }

    /** Gauges the test sets; a "GC" may move a clock, as a real pause does. */
    static final class Gauges implements JvmGauges {
        long heap = 30L * 1024 * 1024;
        int threads = 17;
        int fds = 33;
        int gcs;
        Runnable duringGc = () -> { };

        @Override
        public long heapUsedAfterGc() {
            gcs++;
            duringGc.run();
            return heap;
        }

        @Override
        public int liveThreads() {
            return threads;
        }

        @Override
        public int openFds() {
            return fds;
        }
    }

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final TimeSource clock = now::get;
    private final Counters counters = new Counters();
    private final Gauges gauges = new Gauges();

    @Test
    void aSampleReadsEverySourceAndOperationsPerSecondComeFromTheDifference() {
        Sampler sampler = new Sampler(Duration.ofSeconds(1), counters, null, null, () -> "", () -> 0, clock, gauges);
        counters.operations.set(100); // done before the start: not in the first rate
        sampler.startWithoutThread();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1000));
        counters.operations.set(5100);
        counters.loop.set(120);
        counters.bridge.set(80);
        counters.nexi.set(12);
        counters.pending.set(7);
        SoakSample first = sampler.sample();
        assertThat(first).isEqualTo(new SoakSample(1000, 30L * 1024 * 1024, 17, 33, 120, 80, 12, 7, -1, 5000.0, 5100));
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2000));
        counters.operations.set(7100);
        SoakSample second = sampler.sample();
        assertThat(second.elapsedMs()).isEqualTo(3000);
        assertThat(second.operationsPerSecond()).isEqualTo(1000.0);
        assertThat(second.operations()).isEqualTo(7100);
        assertThat(gauges.gcs).isEqualTo(2);
        assertThat(sampler.samples()).containsExactly(first, second);
    }

    @Test
    void theSamplersOwnGcIsKeptOutOfTheLateness() {
        ManualEventLoop loop = new ManualEventLoop();
        AtomicLong gcPause = new AtomicLong();
        TimeSource probeClock = () -> loop.nanoTime() + gcPause.get();
        try {
            LatenessProbe probe = LatenessProbe.start(loop, 10, probeClock);
            // The forced GC takes 30 ms: the loop's next fire runs 30 ms late because of it.
            gauges.duringGc = () -> gcPause.addAndGet(TimeUnit.MILLISECONDS.toNanos(30));
            Sampler sampler = new Sampler(Duration.ofSeconds(1), counters, probe, null, () -> "", () -> 0, clock,
                    gauges);
            sampler.startWithoutThread();
            loop.advance(Duration.ofMillis(10));
            assertThat(sampler.sample().latenessP99Micros()).isZero();
            loop.advance(Duration.ofMillis(10));
            assertThat(probe.excludedFires()).isEqualTo(1);
            gauges.duringGc = () -> { };
            assertThat(sampler.sample().latenessP99Micros()).isZero();
            // A delay of the loop's own, outside the sampler's GC, is reported.
            gcPause.addAndGet(TimeUnit.MILLISECONDS.toNanos(2));
            loop.advance(Duration.ofMillis(10));
            assertThat(sampler.sample().latenessP99Micros()).isBetween(1990L, 2010L);
            probe.close();
        } finally {
            loop.close();
        }
    }

    @Test
    void theProgressLineSaysEverything() {
        Sampler sampler = new Sampler(Duration.ofSeconds(1), counters, null, null, () -> "12 inj/11 rec/3 cost",
                () -> 0, clock, gauges);
        SoakSample s = new SoakSample(3_723_000, 25L * 1024 * 1024, 31, 44, 500, 300, 20, 9, 870, 45_000.4,
                12_345_678);
        assertThat(sampler.progressLine(s)).isEqualTo("soak 1:02:03  ops 12,345,678  45,000/s  heap 25.0 MB  fds 44"
                + "  threads 31  regs 500/300/20/9  late p99 0.87 ms (machine ?)  faults 12 inj/11 rec/3 cost  violations 0");
        SoakSample unmeasured = new SoakSample(0, 0, 1, -1, 0, 0, 0, 0, -1, 0, 0);
        assertThat(sampler.progressLine(unmeasured)).contains("fds ?").contains("late p99 ?");
    }

    @Test
    void theThreadSamplesEveryPeriodPrintsOneLineAndStops() throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Sampler sampler = new Sampler(Duration.ofMillis(20), counters, null, null, ps, () -> "0 inj/0 rec/0 cost",
                () -> 0, TimeSource.SYSTEM, JvmGauges.SYSTEM, true);
        sampler.start();
        assertThatThrownBy(sampler::start).isInstanceOf(IllegalStateException.class);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (sampler.samples().size() < 3 && System.nanoTime() < deadline) {
            counters.operations.addAndGet(10);
            TimeUnit.MILLISECONDS.sleep(5); // pacing the fake load, not synchronisation
        }
        sampler.close();
        sampler.close();
        List<SoakSample> samples = sampler.samples();
        assertThat(samples).hasSizeGreaterThanOrEqualTo(3);
        for (int i = 1; i < samples.size(); i++) {
            assertThat(samples.get(i).elapsedMs()).isGreaterThan(samples.get(i - 1).elapsedMs());
        }
        // Real gauges: a heap, this thread at least, and on Linux some fds.
        assertThat(samples.get(0).heapUsedBytes()).isPositive();
        assertThat(samples.get(0).liveThreads()).isPositive();
        if (Files.isDirectory(Path.of("/proc/self/fd"))) {
            assertThat(samples.get(0).openFds()).isPositive();
        }
        // close() joined the thread: it is gone, and no sample comes after.
        int n = samples.size();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("soak-sampler"));
        assertThat(sampler.samples()).hasSize(n);
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("\rsoak 0:00:00").contains("faults 0 inj/0 rec/0 cost").endsWith(
                System.lineSeparator());
        assertThat(text.chars().filter(c -> c == '\r').count()).isEqualTo(n);
        assertThat(text.strip()).doesNotContain("\n");
    }

    // Not a terminal (a log file, CI): a line per sample, no carriage return, and the control thread's
    // lateness beside the loop's.
    @Test
    void withoutATerminalEachSampleIsALineOfItsOwn() throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (ControlLateness control = ControlLateness.start(Duration.ofMillis(5), TimeSource.SYSTEM)) {
            Sampler sampler = new Sampler(Duration.ofMillis(20), counters, null, control, ps, () -> "0 inj",
                    () -> 0, TimeSource.SYSTEM, JvmGauges.SYSTEM, false);
            sampler.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (sampler.samples().size() < 3 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
            sampler.close();
            List<SoakSample> samples = sampler.samples();
            assertThat(samples).hasSizeGreaterThanOrEqualTo(3);
            assertThat(samples).allMatch(s -> s.controlLatenessP99Micros() >= 0, "control measured");
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(text).doesNotContain("\r").startsWith("soak 0:00:00").contains("(machine ");
            assertThat(text.lines().count()).isEqualTo(samples.size());
        }
    }

    @Test
    void openFdsFollowFilesOpenedAndClosed(@TempDir Path dir) throws Exception {
        if (!Files.isDirectory(Path.of("/proc/self/fd"))) {
            assertThat(JvmGauges.SYSTEM.openFds()).isEqualTo(-1);
            return;
        }
        int before = JvmGauges.SYSTEM.openFds();
        List<FileChannel> open = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            open.add(FileChannel.open(dir.resolve("f" + i), StandardOpenOption.CREATE, StandardOpenOption.WRITE));
        }
        int during = JvmGauges.SYSTEM.openFds();
        for (FileChannel c : open) {
            c.close();
        }
        int after = JvmGauges.SYSTEM.openFds();
        // Exactly five more, unless the JVM opened something of its own meanwhile (a jar): allow two.
        assertThat(during - before).isBetween(5, 7);
        assertThat(during - after).isBetween(3, 5);
        assertThat(JvmGauges.countOpenFds(dir.resolve("missing"))).isEqualTo(-1);
    }

    @Test
    void faultsLineSumsTheLedger() {
        FaultLedger ledger = new FaultLedger();
        ledger.injected(FaultKind.REG_FAIL);
        ledger.injected(FaultKind.GUEST_CRASH);
        ledger.recovered(FaultKind.GUEST_CRASH);
        ledger.failedOperations(FaultKind.ABORT, 4);
        assertThat(Sampler.faultsLine(ledger)).isEqualTo("2 inj/1 rec/4 cost");
    }

    @Test
    void badArgumentsAreRefusedByName() {
        assertThatThrownBy(() -> new Sampler(Duration.ofMillis(5), counters, null, null, () -> "", () -> 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 10 ms");
        assertThatThrownBy(() -> new Sampler(Duration.ofSeconds(1), null, null, null, () -> "", () -> 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null counters");
        Sampler notStarted = new Sampler(Duration.ofSeconds(1), counters, null, null, () -> "", () -> 0);
        assertThatThrownBy(notStarted::sample).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not started");
    }
}
