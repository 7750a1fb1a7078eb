package org.xlbridge.eventloop.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.conformance.Await;

/** Expiry arithmetic and dispatch order of the embedded loop, on a clock the test moves. */
class PollEventLoopTimingTest {
    private static final long MS = 1_000_000L;
    /** An arbitrary, large start, so that nothing depends on the clock starting at 0. */
    private static final long START = 7_000_000_000_000L;

    private final FakeClock clock = new FakeClock(START);
    private final PollEventLoop loop = new PollEventLoop(clock);

    @AfterEach
    void close() {
        loop.close();
    }

    @Test
    void pollTimeoutIsTheTimeLeftToTheEarliestExpiryInNanoseconds() {
        assertThat(loop.pollTimeoutNanos()).as("nothing pending: block").isEqualTo(-1);
        loop.addTimeout(-1, t -> { }, null);
        assertThat(loop.pollTimeoutNanos()).as("a disabled timer is not waited for").isEqualTo(-1);
        loop.addTimeout(10, t -> { }, null);
        assertThat(loop.pollTimeoutNanos()).isEqualTo(10 * MS);
        clock.set(START + 1);
        assertThat(loop.pollTimeoutNanos()).as("not rounded up to a millisecond").isEqualTo(10 * MS - 1);
        clock.set(START + 9_500_000);
        assertThat(loop.pollTimeoutNanos()).isEqualTo(500_000);
        clock.set(START + 10 * MS - 1);
        assertThat(loop.pollTimeoutNanos()).as("1 ns left").isEqualTo(1);
        clock.set(START + 10 * MS);
        assertThat(loop.pollTimeoutNanos()).isZero();
        clock.set(START + 50 * MS);
        assertThat(loop.pollTimeoutNanos()).as("overdue").isZero();
    }

    @Test
    void theLongestFrequencyGivesTheLongestTimeoutAndFrequencyZeroGivesNone() {
        int far = loop.addTimeout(Integer.MAX_VALUE, t -> { }, null);
        assertThat(loop.pollTimeoutNanos()).isEqualTo(Integer.MAX_VALUE * MS);
        loop.updateTimeout(far, 0);
        assertThat(loop.pollTimeoutNanos()).isZero();
    }

    @Test
    void aTimerIsDispatchedOnlyOnceTheClockReachesItsExpiryAndLatenessIsMeasured() {
        AtomicInteger fired = new AtomicInteger();
        loop.addTimeout(5, t -> fired.incrementAndGet(), null);
        clock.set(START + 5 * MS - 1);
        loop.runOnce(); // ppoll waits 1 real ns: the fake clock has not moved, so nothing is due
        assertThat(fired).hasValue(0);
        clock.set(START + 8 * MS);
        loop.runOnce();
        assertThat(fired).hasValue(1);
        assertThat(loop.stats().maxLatenessNanos()).isEqualTo(3 * MS);
        assertThat(loop.latenessSamples()).isEqualTo(1);
        assertThat(loop.latenessTotalNanos()).isEqualTo(3 * MS);
        assertThat(loop.pollTimeoutNanos()).as("re-armed at dispatch time + 5 ms").isEqualTo(5 * MS);
    }

    @Test
    void aLatePeriodicTimerFiresOnceAndIsReArmedFromItsDispatchTime() {
        AtomicInteger fired = new AtomicInteger();
        loop.addTimeout(10, t -> fired.incrementAndGet(), null);
        clock.set(START + 25 * MS); // two and a half periods late
        loop.runOnce();
        assertThat(fired).as("no catch-up burst").hasValue(1);
        assertThat(loop.pollTimeoutNanos()).isEqualTo(10 * MS);
        clock.set(START + 35 * MS);
        loop.runOnce();
        assertThat(fired).hasValue(2);
    }

    @Test
    void updateRebasesFromTheClockAtTheTimeOfTheUpdate() {
        int t = loop.addTimeout(10, x -> { }, null);
        clock.set(START + 7 * MS);
        loop.updateTimeout(t, 10);
        assertThat(loop.pollTimeoutNanos()).isEqualTo(10 * MS);
        clock.set(START + 12 * MS);
        assertThat(loop.pollTimeoutNanos()).isEqualTo(5 * MS);
    }

    @Test
    void tiesFireInRegistrationOrderEvenAfterAnUpdate() {
        List<Integer> order = new ArrayList<>();
        int a = loop.addTimeout(10, order::add, null);
        int b = loop.addTimeout(10, order::add, null);
        int c = loop.addTimeout(10, order::add, null);
        clock.set(START + 10 * MS);
        loop.runOnce();
        assertThat(order).containsExactly(a, b, c);
        // All re-armed to START+20ms; re-basing b at START+10ms puts it on the same instant again.
        loop.updateTimeout(c, 10);
        loop.updateTimeout(b, 10);
        order.clear();
        clock.set(START + 20 * MS);
        loop.runOnce();
        assertThat(order).containsExactly(a, b, c);
    }

    @Test
    void frequencyZeroFiresExactlyOncePerIteration() {
        AtomicInteger fired = new AtomicInteger();
        loop.addTimeout(0, t -> fired.incrementAndGet(), null);
        for (int i = 1; i <= 5; i++) {
            loop.runOnce();
            assertThat(fired).hasValue(i);
        }
        assertThat(loop.stats().iterations()).isEqualTo(5);
    }

    @Test
    void aTimerAddedDuringADispatchPassWaitsForTheNextPass() {
        List<String> fired = new ArrayList<>();
        loop.addTimeout(0, t -> {
            fired.add("parent");
            if (fired.size() == 1) {
                loop.addTimeout(0, c -> fired.add("child"), null);
            }
        }, null);
        loop.runOnce();
        assertThat(fired).containsExactly("parent");
        loop.runOnce();
        assertThat(fired).containsExactly("parent", "parent", "child");
    }

    @Test
    void aDueTimerChangedByAnEarlierCallbackOfThePassIsNotDispatchedInIt() {
        List<String> fired = new ArrayList<>();
        AtomicInteger frees = new AtomicInteger();
        int[] ids = new int[4];
        // All four are due at the same instant; the first disables, re-bases and removes the others.
        ids[0] = loop.addTimeout(10, t -> {
            fired.add("first");
            if (fired.size() > 1) {
                return; // only the first dispatch changes the others
            }
            loop.updateTimeout(ids[1], -1);
            loop.updateTimeout(ids[2], 10);
            loop.removeTimeout(ids[3]);
            assertThat(frees).as("the free waits for the end of the pass").hasValue(0);
        }, null);
        ids[1] = loop.addTimeout(10, t -> fired.add("disabled"), null);
        ids[2] = loop.addTimeout(10, t -> fired.add("rebased"), null);
        ids[3] = loop.addTimeout(10, t -> fired.add("removed"), frees::incrementAndGet);
        clock.set(START + 10 * MS);
        loop.runOnce();
        assertThat(fired).containsExactly("first");
        assertThat(frees).hasValue(1);
        clock.set(START + 20 * MS);
        loop.runOnce();
        assertThat(fired).containsExactly("first", "first", "rebased");
    }

    @Test
    void withNoThreadRunningTheLoopAFreeRunsAtTheNextRunOnceWhichThenDoesNotBlock() {
        AtomicInteger frees = new AtomicInteger();
        AtomicReference<Thread> freeThread = new AtomicReference<>();
        loop.addTimeout(3_600_000, x -> { }, null); // something to block on for an hour
        int t = loop.addTimeout(10, x -> { }, () -> {
            frees.incrementAndGet();
            freeThread.set(Thread.currentThread());
        });
        assertThat(loop.removeTimeout(t)).isTrue();
        assertThat(frees).hasValue(0);
        assertThat(loop.stats().pendingFrees()).isEqualTo(1);
        assertThat(loop.pollTimeoutNanos()).as("a pending free makes poll non-blocking").isZero();
        AtomicReference<Thread> runner = new AtomicReference<>();
        // The iteration runs the free first; it must not then block on the hour-long timer.
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            runner.set(Thread.currentThread());
            loop.runOnce();
        });
        assertThat(frees).hasValue(1);
        assertThat(freeThread.get()).isSameAs(runner.get());
        assertThat(loop.stats().pendingFrees()).isZero();
    }

    @Test
    void stopMakesTheNextRunOnceNonBlockingAndRunReturnAtOnce() {
        loop.addTimeout(3_600_000, t -> { }, null);
        loop.stop();
        assertThat(loop.pollTimeoutNanos()).isZero();
        loop.runOnce(); // would block for an hour otherwise
        assertThat(loop.pollTimeoutNanos()).as("runOnce consumed the stop").isGreaterThan(0);
        loop.stop();
        Thread runner = new Thread(loop::run, "stopped-run");
        runner.start();
        Await.join(runner);
    }
}
