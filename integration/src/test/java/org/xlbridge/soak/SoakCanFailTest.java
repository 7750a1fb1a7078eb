package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * A soak that cannot fail proves nothing. Without libvirt (so in the shared test JVM): the pre-fix
 * protocol must be caught as invariant violations, and a workload that leaks one loop timer per
 * operation must be caught as a growing series, through the same runner, sampler and verdicts as a
 * real soak.
 */
class SoakCanFailTest {
    private static SoakOptions options(DeregistrationProtocol protocol, int xlClients, Duration run, FaultPlan faults) {
        return new SoakOptions(LoopKind.EMBEDDED, protocol, run, 0, Duration.ofMillis(250), Duration.ofSeconds(1),
                faults, 7, 4, xlClients, 16, 1, SoakOptions.NONE, null, Path.of("target", "soak-can-fail"), 0);
    }

    @Test
    void theLegacyProtocolIsCaughtAsViolations() throws Exception {
        SoakReport r = new SoakRunner(options(DeregistrationProtocol.LEGACY_DEREGISTER, 0, Duration.ofSeconds(8),
                FaultPlan.none()), null).run();
        long i1to3 = r.violations().get("I1") + r.violations().get("I2") + r.violations().get("I3");
        assertThat(i1to3).as("I1-I3 under the legacy protocol: %s", r.violations()).isPositive();
        assertThat(r.passed()).isFalse();
    }

    @Test
    void aWorkloadThatLeaksLoopTimersIsCaughtAsGrowing() throws Exception {
        SoakRunner runner = new SoakRunner(options(DeregistrationProtocol.ASAP_MODIFY, 0, Duration.ofSeconds(6),
                FaultPlan.none()), null);
        runner.addWorkload(LeakingWorkload::new);
        SoakReport r = runner.run();
        assertThat(r.growing()).extracting(v -> v.series().key()).contains("loopRegistrations");
        assertThat(r.passed()).isFalse();
    }

    @Test
    void theSameRunWithoutTheLeakIsFlat() throws Exception {
        SoakReport r = new SoakRunner(options(DeregistrationProtocol.ASAP_MODIFY, 2, Duration.ofSeconds(6),
                FaultPlan.none().with(FaultKind.REG_FAIL, 0.01).with(FaultKind.CALLBACK_THROW, 0.001)), null).run();
        assertThat(r.violations().values()).as("%s", r.violations()).allMatch(n -> n == 0);
        assertThat(r.growing()).isEmpty();
        assertThat(r.faults().get(FaultKind.REG_FAIL).injected()).isPositive();
        assertThat(r.passed()).as(r.table()).isTrue();
    }

    // The loop's own lateness must still be caught once the machine's share is taken out: a callback on the
    // loop thread that blocks longer and longer (0 to 40 ms over the run; asleep, so the machine's CPUs, and
    // the control thread, are not the ones made busy).
    @Test
    void aLoopMadeSlowOnPurposeIsCaughtAsGrowingLateness() throws Exception {
        SoakRunner runner = new SoakRunner(options(DeregistrationProtocol.ASAP_MODIFY, 0, Duration.ofSeconds(8),
                FaultPlan.none()), null);
        runner.addWorkload(SlowingWorkload::new);
        SoakReport r = runner.run();
        assertThat(r.growing()).as(r.table()).extracting(v -> v.series().key()).contains("loopLatenessP99");
        assertThat(r.passed()).isFalse();
    }

    /** A loop timer every 10 ms whose callback blocks the loop longer each time: 0 ms at the start, 40 ms after 8 s. */
    private static final class SlowingWorkload implements Workload {
        private final EventLoop loop;
        private final AtomicLong ops = new AtomicLong();
        private volatile long startNanos;
        private volatile int timer = -1;

        SlowingWorkload(EventLoop loop) {
            this.loop = loop;
        }

        @Override
        public String name() {
            return "slowing";
        }

        @Override
        public void start() {
            startNanos = System.nanoTime();
            timer = loop.addTimeout(10, t -> {
                long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
                try {
                    Thread.sleep(Math.min(40, elapsedMs * 40 / 8_000)); // the loop made slow on purpose
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ops.incrementAndGet();
            }, null);
        }

        @Override
        public long operations() {
            return ops.get();
        }

        @Override
        public void stop() {
        }

        @Override
        public Map<String, Long> finish() {
            return Map.of();
        }

        @Override
        public String summary() {
            return ops.get() + " slow callbacks";
        }

        @Override
        public void close() {
            if (timer > 0) {
                loop.removeTimeout(timer);
            }
        }
    }

    /** Adds a disabled timer to the loop every millisecond and never removes it (until close). */
    private static final class LeakingWorkload implements Workload {
        private final EventLoop loop;
        private final List<Integer> timers = new ArrayList<>();
        private final AtomicLong ops = new AtomicLong();
        private volatile boolean stop;
        private Thread thread;

        LeakingWorkload(EventLoop loop) {
            this.loop = loop;
        }

        @Override
        public String name() {
            return "leak";
        }

        @Override
        public void start() {
            thread = new Thread(() -> {
                while (!stop) {
                    int id = loop.addTimeout(-1, t -> { }, null);
                    synchronized (timers) {
                        timers.add(id);
                    }
                    ops.incrementAndGet();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "leaking-workload");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public long operations() {
            return ops.get();
        }

        @Override
        public void stop() {
            stop = true;
        }

        @Override
        public Map<String, Long> finish() throws InterruptedException {
            thread.join(5_000);
            return Map.of();
        }

        @Override
        public String summary() {
            return ops.get() + " timers leaked";
        }

        @Override
        public void close() {
            synchronized (timers) {
                timers.forEach(loop::removeTimeout);
                timers.clear();
            }
        }
    }
}
