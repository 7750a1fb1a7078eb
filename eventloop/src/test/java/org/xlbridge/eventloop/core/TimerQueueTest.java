package org.xlbridge.eventloop.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.core.TimerRegistration.State;

/**
 * The timer queue (heap + ready list) against a plain model: every live timer's frequency and expiry
 * in a list. Random re-bases to -1, 0 and N, removes, and dispatch passes (take the due timers, then
 * re-arm or put back each) must hand out exactly the model's due timers in (expiry, id) order.
 */
class TimerQueueTest {
    private static final long MS = TimerQueue.NANOS_PER_MS;

    @Test
    void randomOperationsMatchAModelOfFrequenciesAndExpiries() {
        for (long seed = 1; seed <= 6; seed++) {
            runRandomOperations(new SplittableRandom(seed), seed == 6 ? Long.MAX_VALUE - 50 * MS : 0L, 5_000);
        }
    }

    @Test
    void makingATimerDueAtOnceOrDisablingItLeavesTheHeapAlone() {
        TimerQueue q = new TimerQueue();
        List<TimerRegistration> all = new ArrayList<>();
        for (int id = 1; id <= 1000; id++) {
            TimerRegistration t = timer(id);
            q.schedule(t, 1000 + id, 0);
            all.add(t);
        }
        long[] keys = keys(q.heap());
        TimerRegistration asap = all.get(700);
        int slot = asap.heapIndex;
        q.schedule(asap, 0, 5 * MS);
        assertThat(asap.state).isEqualTo(State.READY);
        assertThat(asap.heapIndex).as("keeps its slot, a ghost").isEqualTo(slot);
        assertThat(keys(q.heap())).as("no sift").containsExactly(keys);
        q.schedule(all.get(10), -1, 5 * MS);
        assertThat(keys(q.heap())).as("disabling does not sift either").containsExactly(keys);
        q.schedule(all.get(20), 5000, 5 * MS);
        assertThat(keys(q.heap())).as("a later expiry is recorded lazily").containsExactly(keys);
        q.schedule(all.get(10), 6000, 5 * MS);
        assertThat(all.get(10).state).isEqualTo(State.SCHEDULED);
        assertThat(keys(q.heap())).as("re-enabled above its ghost slot's key: the slot is taken back as it is")
                .containsExactly(keys);
        assertThat(q.hasReady()).isTrue();
        TimerRegistration[] batch = q.takeDue(5 * MS, new TimerRegistration[1]);
        assertThat(q.lastTakeCount).isEqualTo(1);
        assertThat(batch[0]).isSameAs(asap);
        assertThat(q.hasReady()).isFalse();
        TimerHeapTest.checkInvariants(q.heap());
    }

    @Test
    void aLargeBatchOfReadyTimersInAnyIdOrderIsMergedWithTheHeapInExpiryThenIdOrder() {
        TimerQueue q = new TimerQueue();
        List<TimerRegistration> all = new ArrayList<>();
        for (int id = 1; id <= 300; id++) {
            TimerRegistration t = timer(id);
            q.schedule(t, 1 + id % 3, 0); // due at 1, 2 or 3 ms
            all.add(t);
        }
        SplittableRandom random = new SplittableRandom(3);
        List<TimerRegistration> shuffled = new ArrayList<>(all);
        java.util.Collections.shuffle(shuffled, new java.util.Random(5));
        for (TimerRegistration t : shuffled.subList(0, 200)) {
            // Made due at once at 1, 2 or 3 ms, in no id order: ties with each other and with the heap.
            q.schedule(t, 0, (1 + random.nextInt(3)) * MS);
        }
        List<TimerRegistration> expected = new ArrayList<>(all);
        expected.sort(TimerQueue.ORDER);
        TimerRegistration[] batch = q.takeDue(3 * MS, new TimerRegistration[4]);
        assertThat(q.lastTakeCount).isEqualTo(300);
        assertThat(java.util.Arrays.asList(batch).subList(0, 300)).containsExactlyElementsOf(expected);
    }

    private static void runRandomOperations(SplittableRandom random, long base, int operations) {
        TimerQueue q = new TimerQueue();
        List<TimerRegistration> live = new ArrayList<>();
        int nextId = 1;
        long now = base;
        TimerRegistration[] batch = new TimerRegistration[2];
        int removedSincePass = 0;
        for (int op = 0; op < operations; op++) {
            int kind = random.nextInt(20);
            if (kind < 5 || live.isEmpty()) { // add
                TimerRegistration t = timer(nextId++);
                q.schedule(t, frequency(random), now);
                live.add(t);
            } else if (kind < 12) { // re-base a live timer
                TimerRegistration t = live.get(random.nextInt(live.size()));
                q.schedule(t, frequency(random), now);
            } else if (kind < 15) { // remove
                TimerRegistration t = live.remove(random.nextInt(live.size()));
                t.removed = true;
                q.remove(t);
                assertThat(t.heapIndex).isEqualTo(-1);
                removedSincePass++;
            } else if (kind < 18) { // the clock moves (by whole and half milliseconds: ties are common)
                now += random.nextInt(7) * MS / 2;
            } else { // a dispatch pass
                List<TimerRegistration> expected = new ArrayList<>();
                for (TimerRegistration t : live) {
                    if (t.frequencyMs >= 0 && t.expiryNanos - now <= 0) {
                        expected.add(t);
                    }
                }
                expected.sort(TimerQueue.ORDER);
                batch = q.takeDue(now, batch);
                removedSincePass = 0;
                List<TimerRegistration> taken = new ArrayList<>();
                for (int i = 0; i < q.lastTakeCount; i++) {
                    taken.add(batch[i]);
                    assertThat(batch[i].state).isEqualTo(State.TAKEN);
                }
                assertThat(taken).containsExactlyElementsOf(expected);
                for (TimerRegistration t : taken) {
                    if (random.nextInt(4) == 0) {
                        q.putBack(t);
                    } else {
                        q.rearm(t, now);
                        assertThat(t.expiryNanos).isEqualTo(now + t.frequencyMs * MS);
                    }
                }
            }
            checkAgainstModel(q, live);
            assertThat(q.readyListLength()).as("a timer is listed at most once; removed ones until the next pass")
                    .isLessThanOrEqualTo(live.size() + removedSincePass);
        }
    }

    /** Exactly the frequency-0 timers are ready; the earliest scheduled one is the model's. */
    private static void checkAgainstModel(TimerQueue q, List<TimerRegistration> live) {
        boolean anyZero = false;
        TimerRegistration earliest = null;
        for (TimerRegistration t : live) {
            assertThat(t.state).isEqualTo(t.frequencyMs < 0 ? State.DISABLED
                    : t.frequencyMs == 0 ? State.READY : State.SCHEDULED);
            anyZero |= t.frequencyMs == 0;
            if (t.frequencyMs > 0 && (earliest == null || TimerQueue.ORDER.compare(t, earliest) < 0)) {
                earliest = t;
            }
        }
        assertThat(q.hasReady()).isEqualTo(anyZero);
        assertThat(q.earliestScheduled()).isSameAs(earliest);
        TimerHeapTest.checkInvariants(q.heap());
    }

    /** -1, 0 or 1..20 ms, with -1 and 0 common. */
    private static int frequency(SplittableRandom random) {
        int k = random.nextInt(10);
        return k == 0 ? -1 : k == 1 ? 0 : random.nextInt(1, 21);
    }

    private static long[] keys(TimerHeap heap) {
        long[] keys = new long[heap.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = heap.keyAt(i);
        }
        return keys;
    }

    private static TimerRegistration timer(int id) {
        return new TimerRegistration(id, t -> { }, null);
    }
}
