package org.xlbridge.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the full hook round trip (see {@link BridgeRoundTrip}): register a libxl time event one
 * hour ahead → deregister it (modify(ASAP)) → the loop dispatches the timer → the stale
 * {@code occurredTimeout} is discarded → the registration is freed. The loop is driven by
 * {@code runOnce()} on the benchmark thread, so there is no second thread and a round trip ends inside
 * the operation that started it. Scores are round trips per second.
 *
 * <p>{@code single} does one round trip per operation (every round trip pays at least one loop
 * iteration, i.e. a poll(2) system call); {@code batch1000} starts 1,000 and then runs the loop until
 * all are freed, so loop iterations are shared ({@link OperationsPerInvocation} divides by 1,000).
 *
 * <p>{@link Embedded} is the bridge on {@code PollEventLoop}, {@link Libvirt} the bridge on libvirt's
 * default loop (fails at setup with "SKIPPED: …" without libvirt), and {@link Stpe} the same bookkeeping
 * on a {@link java.util.concurrent.ScheduledThreadPoolExecutor} whose thread runs the tasks while the
 * benchmark thread waits (see {@link StpeRoundTrip}).
 */
public class HookRoundTripBench {
    /** Round trips per {@code batch1000} operation. */
    static final int BATCH = 1000;

    private HookRoundTripBench() {
    }

    /** The round trip on one subject; a subclass says which. Its benchmarks are named after the subclass. */
    @State(Scope.Benchmark)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
    public abstract static class OnSubject {
        private RoundTrip roundTrip;

        /** A fresh subject. */
        abstract RoundTrip newRoundTrip();

        @Setup(Level.Trial)
        public void setUp() {
            roundTrip = newRoundTrip();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (roundTrip == null) {
                return; // setup failed (no libvirt): JMH has reported why
            }
            try {
                roundTrip.verify();
            } finally {
                roundTrip.close();
            }
        }

        /** One round trip per operation. */
        @Benchmark
        public long single() {
            return roundTrip.run(1);
        }

        /** 1,000 round trips per operation, scored per round trip. */
        @Benchmark
        @OperationsPerInvocation(BATCH)
        public long batch1000() {
            return roundTrip.run(BATCH);
        }
    }

    /** The bridge on {@code PollEventLoop}. */
    public static class Embedded extends OnSubject {
        @Override
        RoundTrip newRoundTrip() {
            return new BridgeRoundTrip(BenchLoops.embedded(), BATCH, false);
        }
    }

    /** The bridge on libvirt's default loop. */
    public static class Libvirt extends OnSubject {
        @Override
        RoundTrip newRoundTrip() {
            return new BridgeRoundTrip(BenchLoops.libvirt(), BATCH, true);
        }
    }

    /** The same bookkeeping on a {@link java.util.concurrent.ScheduledThreadPoolExecutor}. */
    public static class Stpe extends OnSubject {
        @Override
        RoundTrip newRoundTrip() {
            return new StpeRoundTrip(BATCH);
        }
    }
}
