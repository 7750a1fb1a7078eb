package org.xlbridge.driver.xl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.conformance.IdWrapSuite;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The driver state's one-shot loop probe is removed once: by its own first dispatch, or by close if it
 * never fired. With ids that wrap, a second remove at close would remove whoever the loop handed the
 * probe's id to afterwards (the wrap soak saw it as a libxl timeout of another driver state freed before it
 * fired, and a leaked nexus, I4). Here the ids are 1..64: after the probe fired, timers are added until
 * one gets the probe's id again; closing the state must leave that timer alone.
 */
class XlStateLoopProbeTest {
    @Test
    void closeDoesNotRemoveTheTimerThatGotTheProbesIdAfterIt() throws Exception {
        PollEventLoop loop = IdWrapSuite.withIdSpace(64, PollEventLoop::new);
        Thread t = new Thread(loop::run, "probe-loop");
        t.start();
        DriverManager manager = new DriverManager(DriverEnvironment.of(loop));
        try {
            XlConnect c = (XlConnect) manager.open("xl:///system");
            int probe = c.state().loopProbeId();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!c.state().loopThreadKnown() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(c.state().loopThreadKnown()).as("the probe fired").isTrue();
            // hand ids out (and give them back) until the probe's id comes back after its quarantine
            AtomicInteger victimFreed = new AtomicInteger();
            int victim = -1;
            int givenBack = 0;
            for (int i = 0; i < 500 && victim < 0; i++) {
                int id = loop.addTimeout(-1, x -> { }, victimFreed::incrementAndGet);
                if (id == probe) {
                    victim = id;
                } else {
                    loop.removeTimeout(id); // keep the space free so the cursor comes round
                    givenBack++;
                }
            }
            assertThat(victim).as("the probe's id %d was handed out again", probe).isEqualTo(probe);
            int expected = givenBack;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (victimFreed.get() < expected && System.nanoTime() < deadline) {
                Thread.sleep(1); // the frees of the ids given back
            }
            assertThat(victimFreed.get()).isEqualTo(expected);

            manager.close(); // closes the xl state
            turnTwice(loop); // a remove made by close queued its free before this: it has run by now

            assertThat(victimFreed.get()).as("the victim timer's free did not run").isEqualTo(expected);
            assertThat(loop.removeTimeout(victim)).as("the victim is still registered").isTrue();
        } finally {
            manager.close();
            loop.stop();
            t.join(10_000);
            loop.close();
        }
    }

    /** Waits (bounded) until the loop has run two whole iterations after now: a frequency-0 timer fired twice. */
    private static void turnTwice(PollEventLoop loop) throws InterruptedException {
        CountDownLatch twice = new CountDownLatch(2);
        int barrier = loop.addTimeout(0, x -> twice.countDown(), null);
        try {
            assertThat(twice.await(10, TimeUnit.SECONDS)).as("the loop turned").isTrue();
        } finally {
            loop.removeTimeout(barrier);
        }
    }
}
