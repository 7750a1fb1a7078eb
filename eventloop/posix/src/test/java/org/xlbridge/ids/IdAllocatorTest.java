package org.xlbridge.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IdAllocatorTest {

    @Test
    void handsOutIncreasingIdsFromOneUntilTheFirstWrap() {
        IdAllocator a = new IdAllocator("timer", Integer.MAX_VALUE);
        for (int i = 1; i <= 5000; i++) {
            int id = a.allocate();
            assertThat(id).isEqualTo(i);
            if (i % 3 != 0) {
                a.release(id);
            }
        }
        assertThat(a.wraps()).isZero();
        assertThat(a.quarantine()).isEqualTo(IdAllocator.DEFAULT_QUARANTINE);
    }

    @Test
    void wrapsPastIntegerMaxValueToOneSkippingLiveIdsAtBothEnds() {
        int max = Integer.MAX_VALUE;
        IdAllocator a = new IdAllocator("timer", max - 3, max, 2);
        int[] high = {a.allocate(), a.allocate(), a.allocate(), a.allocate()};
        assertThat(high).containsExactly(max - 3, max - 2, max - 1, max);
        int first = a.allocate();
        assertThat(first).isEqualTo(1);
        assertThat(a.wraps()).isEqualTo(1);
        // live at both ends: max-3..max and 1; release max-1 and max
        a.release(max - 1);
        a.release(max);
        assertThat(a.allocate()).isEqualTo(2);
        assertThat(a.allocate()).isEqualTo(3);
        assertThat(a.isTaken(max - 1)).isTrue();
        assertThat(a.allocate()).isEqualTo(4); // two allocations since the release: free from this one on
        assertThat(a.isTaken(max - 1)).isFalse();
        assertThat(a.isTaken(max - 3)).isTrue();
    }

    @Test
    void skipsLiveIdsAfterTheWrap() {
        IdAllocator a = new IdAllocator("watch", 1, 100, 0);
        for (int i = 1; i <= 100; i++) {
            int id = a.allocate();
            if (id > 10 && id != 50) {
                a.release(id);
            }
        }
        assertThat(a.allocate()).isEqualTo(11); // 1..10 live
        for (int i = 12; i <= 49; i++) {
            assertThat(a.allocate()).isEqualTo(i);
        }
        assertThat(a.allocate()).isEqualTo(51); // 50 live
    }

    @Test
    void aReleasedIdJustAheadOfTheCursorWaitsForItsQuarantine() {
        int q = 8;
        IdAllocator a = new IdAllocator("timer", 1, 256, q);
        for (int i = 1; i <= 64; i++) {
            a.allocate();
        }
        for (int i = 1; i <= 30; i++) {
            a.release(i); // long before the cursor comes round: out of quarantine by then
        }
        for (int i = 65; i <= 256; i++) {
            assertThat(a.allocate()).isEqualTo(i);
            a.release(i);
        }
        for (int i = 1; i <= 30; i++) {
            assertThat(a.allocate()).isEqualTo(i); // wrapped: 1..30 were released long ago
        }
        assertThat(a.wraps()).isEqualTo(1);
        // cursor at 30; 31..64 live. 33 is freed now, right ahead of the cursor.
        a.release(33);
        List<Integer> next = new ArrayList<>();
        for (int i = 0; i < q; i++) {
            next.add(a.allocate());
        }
        assertThat(next).containsExactly(65, 66, 67, 68, 69, 70, 71, 72); // 33 skipped while in quarantine
        assertThat(a.isTaken(33)).isTrue();
        a.allocate(); // the q-th allocation since the release has happened: 33 is free from this one on
        assertThat(a.isTaken(33)).isFalse();
    }

    @Test
    void releaseOfAnIdNotTakenOrTwiceIsRefused() {
        IdAllocator a = new IdAllocator("timer", 1, 1000, 10);
        int id = a.allocate();
        assertThatThrownBy(() -> a.release(id + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timer id " + (id + 1));
        assertThatThrownBy(() -> a.release(0)).isInstanceOf(IllegalArgumentException.class);
        a.release(id);
        assertThatThrownBy(() -> a.release(id)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already released");
        assertThat(a.taken()).isEqualTo(1);
    }

    @Test
    void badBoundsAreRefused() {
        assertThatThrownBy(() -> new IdAllocator("x", 0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IdAllocator("x", 11, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IdAllocator("x", 1, 10, 6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IdAllocator("x", 1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFullSpaceOfLiveIdsIsAClearErrorAndAFullSpaceWithRestingIdsCutsTheOldestShort() {
        IdAllocator a = new IdAllocator("domid", 1, 16, 4);
        for (int i = 1; i <= 16; i++) {
            a.allocate();
        }
        assertThatThrownBy(a::allocate).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no free domid id: all 16 are live");
        a.release(7);
        a.release(3);
        assertThat(a.allocate()).isEqualTo(7); // oldest released first, its margin cut short
        assertThat(a.quarantineCutShort()).isEqualTo(1);
        assertThat(a.allocate()).isEqualTo(3);
        assertThatThrownBy(a::allocate).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Random churn across many wraps of a small space, against a model that knows every id's state: each
     * allocation must be the first id after the cursor that is neither live nor released fewer than
     * {@code q} allocations ago.
     */
    @Test
    void randomChurnAcrossManyWrapsMatchesTheRule() {
        int last = 2000;
        int q = 300;
        IdAllocator a = new IdAllocator("timer", 1, last, q);
        SplittableRandom r = new SplittableRandom(7);
        Map<Integer, Long> releasedAt = new HashMap<>();
        List<Integer> live = new ArrayList<>();
        boolean[] isLive = new boolean[last + 1];
        long allocations = 0;
        int cursor = 0;
        while (a.wraps() < 25) {
            if (live.size() < 1200 && (live.isEmpty() || r.nextInt(100) < 52)) {
                int expected = cursor;
                do {
                    expected = expected == last ? 1 : expected + 1;
                } while (isLive[expected] || (releasedAt.containsKey(expected)
                        && allocations - releasedAt.get(expected) < q));
                int id = a.allocate();
                assertThat(id).as("allocation %d", allocations).isEqualTo(expected);
                allocations++;
                cursor = id;
                isLive[id] = true;
                releasedAt.remove(id);
                live.add(id);
            } else {
                int id = live.remove(r.nextInt(live.size()));
                isLive[id] = false;
                releasedAt.put(id, allocations);
                a.release(id);
            }
        }
        assertThat(a.quarantineCutShort()).isZero();
    }

    /**
     * At high occupancy (half, then 90 % of the space taken, scattered and in one long block) the
     * search after the wrap stays within its amortised bound: words examined per allocation over at
     * least two laps of the cursor is at most 1 / (1 - occupancy) plus one word per allocation.
     */
    @Test
    void searchStaysBoundedAtHighOccupancy() {
        for (double occupancy : new double[] {0.5, 0.9}) {
            for (boolean block : new boolean[] {false, true}) {
                int last = 1 << 18;
                IdAllocator a = new IdAllocator("timer", 1, last, 64);
                SplittableRandom r = new SplittableRandom(11);
                int target = (int) (last * occupancy);
                int[] live = new int[target];
                int n = 0;
                // fill to the target: scattered (random half kept) or one block (the first target ids)
                while (n < target) {
                    int id = a.allocate();
                    if (block || r.nextBoolean()) {
                        live[n++] = id;
                    } else {
                        a.release(id);
                    }
                }
                long words0 = a.wordsScanned;
                long allocs0 = a.allocations();
                long wraps0 = a.wraps();
                // churn: replace random scattered ids (the block, if any, stays)
                int churnFrom = block ? target / 2 : 0;
                while (a.wraps() < wraps0 + 2) {
                    int k = churnFrom + r.nextInt(target - churnFrom);
                    a.release(live[k]);
                    live[k] = a.allocate();
                }
                double perAllocation = (double) (a.wordsScanned - words0) / (a.allocations() - allocs0);
                double bound = 1 / (1 - occupancy) + 1;
                assertThat(perAllocation).as("occupancy %s block %s", occupancy, block).isLessThanOrEqualTo(bound);
                assertThat(a.taken()).isLessThanOrEqualTo(target + 64);
            }
        }
    }

    @Test
    void memoryFollowsTheTakenIds() {
        IdAllocator a = new IdAllocator("timer", 1, Integer.MAX_VALUE, 16);
        int keep = a.allocate();
        for (int i = 0; i < 10 * IdAllocator.PAGE_IDS; i++) {
            a.release(a.allocate());
        }
        assertThat(a.allocatedPages()).isLessThanOrEqualTo(3);
        assertThat(a.isTaken(keep)).isTrue();
    }

    @Test
    void configuredReadsTheSeamProperties() {
        String oldFirst = System.getProperty(IdAllocator.FIRST_PROPERTY);
        String oldLast = System.getProperty(IdAllocator.LAST_PROPERTY);
        try {
            System.setProperty(IdAllocator.FIRST_PROPERTY, "90");
            System.setProperty(IdAllocator.LAST_PROPERTY, "100");
            IdAllocator a = IdAllocator.configured("timer");
            assertThat(a.lastId()).isEqualTo(100);
            assertThat(a.quarantine()).isEqualTo(25);
            assertThat(a.allocate()).isEqualTo(90);
            System.setProperty(IdAllocator.LAST_PROPERTY, "ten");
            assertThatThrownBy(() -> IdAllocator.configured("timer")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(IdAllocator.LAST_PROPERTY);
        } finally {
            restore(IdAllocator.FIRST_PROPERTY, oldFirst);
            restore(IdAllocator.LAST_PROPERTY, oldLast);
        }
        assertThat(IdAllocator.configured("timer").lastId()).isEqualTo(Integer.MAX_VALUE);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
