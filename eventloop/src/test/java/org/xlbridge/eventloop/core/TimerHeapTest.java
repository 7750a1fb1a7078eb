package org.xlbridge.eventloop.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The 4-ary indexed heap against a sorted reference, with its slot and lazy-key invariants. */
class TimerHeapTest {
    /** The reference order: expiry (by subtraction, as the heap does), then id. */
    private static final Comparator<TimerRegistration> ORDER = (a, b) -> {
        long d = a.expiryNanos - b.expiryNanos;
        return d < 0 ? -1 : d > 0 ? 1 : Integer.compare(a.id, b.id);
    };

    @Test
    void randomOperationsMatchASortedReferenceAndKeepTheHeapAndIndexInvariants() {
        for (long seed = 1; seed <= 5; seed++) {
            runRandomOperations(new SplittableRandom(seed), 0L, 4_000);
        }
    }

    @Test
    void expiriesAroundLongOverflowStillOrderBySubtraction() {
        runRandomOperations(new SplittableRandom(99), Long.MAX_VALUE - 500_000L, 2_000);
    }

    @Test
    void tiesPopInIdOrder() {
        TimerHeap heap = new TimerHeap();
        List<TimerRegistration> nodes = new ArrayList<>();
        for (int id = 1; id <= 50; id++) {
            nodes.add(node(id, 1000));
        }
        // Insert in a scrambled order; ties must still come out by id.
        SplittableRandom random = new SplittableRandom(7);
        List<TimerRegistration> scrambled = new ArrayList<>(nodes);
        for (int i = scrambled.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            TimerRegistration t = scrambled.get(i);
            scrambled.set(i, scrambled.get(j));
            scrambled.set(j, t);
        }
        scrambled.forEach(heap::add);
        checkInvariants(heap);
        for (int id = 1; id <= 50; id++) {
            assertThat(heap.poll().id).isEqualTo(id);
        }
        assertThat(heap.poll()).isNull();
    }

    @Test
    void changedMovesANodeBothWays() {
        TimerHeap heap = new TimerHeap();
        List<TimerRegistration> nodes = new ArrayList<>();
        for (int id = 1; id <= 31; id++) {
            TimerRegistration n = node(id, id * 10L);
            nodes.add(n);
            heap.add(n);
        }
        TimerRegistration last = nodes.get(30);
        last.expiryNanos = 0;
        heap.changed(last);
        checkInvariants(heap);
        assertThat(heap.peek()).isSameAs(last);
        last.expiryNanos = 1_000_000;
        heap.changed(last);
        checkInvariants(heap);
        assertThat(heap.keyAt(0)).as("a later expiry is recorded lazily").isZero();
        assertThat(heap.peek().id).as("and settled when the node is at the top").isEqualTo(1);
        assertThat(heap.keyAt(0)).isEqualTo(10);
        checkInvariants(heap);
        TimerHeap drained = heap;
        for (int id = 1; id <= 30; id++) {
            assertThat(drained.poll().id).isEqualTo(id);
        }
        assertThat(drained.poll()).isSameAs(last);
        assertThat(drained.poll()).isNull();
    }

    @Test
    void pushingTheTopBackRepeatedlyKeepsExpiryOrder() {
        TimerHeap heap = new TimerHeap();
        List<TimerRegistration> nodes = new ArrayList<>();
        for (int id = 1; id <= 100; id++) {
            TimerRegistration n = node(id, id);
            nodes.add(n);
            heap.add(n);
        }
        // Push every node back past all the others, one after another, without looking at the heap.
        for (int round = 1; round <= 3; round++) {
            for (TimerRegistration n : nodes) {
                n.expiryNanos += 1000L * round;
                heap.changed(n);
            }
            checkInvariants(heap);
        }
        for (TimerRegistration expected : nodes) {
            assertThat(heap.poll()).isSameAs(expected);
            checkInvariants(heap);
        }
    }

    @Test
    void misuseIsRejected() {
        TimerHeap heap = new TimerHeap();
        TimerRegistration a = node(1, 5);
        assertThatThrownBy(() -> heap.remove(a)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> heap.changed(a)).isInstanceOf(IllegalStateException.class);
        heap.add(a);
        assertThatThrownBy(() -> heap.add(a)).isInstanceOf(IllegalStateException.class);
        heap.remove(a);
        assertThat(a.heapIndex).isEqualTo(-1);
        assertThat(heap.isEmpty()).isTrue();
    }

    @Test
    void clearTakesEveryNodeOut() {
        TimerHeap heap = new TimerHeap();
        List<TimerRegistration> nodes = new ArrayList<>();
        for (int id = 1; id <= 40; id++) {
            TimerRegistration n = node(id, 40 - id);
            nodes.add(n);
            heap.add(n);
        }
        heap.clear();
        assertThat(heap.size()).isZero();
        assertThat(nodes).allSatisfy(n -> assertThat(n.heapIndex).isEqualTo(-1));
    }

    private static void runRandomOperations(SplittableRandom random, long base, int operations) {
        TimerHeap heap = new TimerHeap();
        TreeSet<TimerRegistration> model = new TreeSet<>(ORDER);
        List<TimerRegistration> inHeap = new ArrayList<>();
        List<TimerRegistration> outOfHeap = new ArrayList<>();
        int nextId = 1;
        for (int op = 0; op < operations; op++) {
            int kind = random.nextInt(10);
            if (kind < 4 || inHeap.isEmpty()) { // add (a new node, or one taken out earlier)
                TimerRegistration n = !outOfHeap.isEmpty() && random.nextBoolean()
                        ? outOfHeap.remove(random.nextInt(outOfHeap.size()))
                        : node(nextId++, 0);
                // A small key range makes ties common.
                n.expiryNanos = base + random.nextInt(200) * 1000L;
                heap.add(n);
                model.add(n);
                inHeap.add(n);
            } else if (kind < 7) { // change the key of a node in the heap
                TimerRegistration n = inHeap.get(random.nextInt(inHeap.size()));
                model.remove(n);
                n.expiryNanos = base + random.nextInt(200) * 1000L;
                heap.changed(n);
                model.add(n);
            } else if (kind < 9) { // remove an arbitrary node
                TimerRegistration n = inHeap.remove(random.nextInt(inHeap.size()));
                heap.remove(n);
                model.remove(n);
                assertThat(n.heapIndex).isEqualTo(-1);
                outOfHeap.add(n);
            } else { // poll the minimum
                TimerRegistration expected = model.pollFirst();
                TimerRegistration actual = heap.poll();
                assertThat(actual).isSameAs(expected);
                inHeap.remove(actual);
                assertThat(actual.heapIndex).isEqualTo(-1);
                outOfHeap.add(actual);
            }
            assertThat(heap.size()).isEqualTo(model.size());
            if (!model.isEmpty()) {
                assertThat(heap.peek()).isSameAs(model.first());
                assertThat(heap.peekExpiry()).isEqualTo(model.first().expiryNanos);
            }
            checkInvariants(heap);
        }
        List<TimerRegistration> drained = new ArrayList<>();
        TimerRegistration n;
        while ((n = heap.poll()) != null) {
            drained.add(n);
        }
        assertThat(drained).containsExactlyElementsOf(model);
    }

    /**
     * Every scheduled slot's key is at most its node's expiry (a later expiry is settled lazily; a ghost's
     * key is free), every node knows its slot, and no child sorts before its parent by (key, id).
     */
    static void checkInvariants(TimerHeap heap) {
        for (int i = 0; i < heap.size(); i++) {
            TimerRegistration n = heap.nodeAt(i);
            if (n.heapKey != heap.keyAt(i)) {
                throw new AssertionError("slot " + i + " has key " + heap.keyAt(i) + " but its node's copy says " + n.heapKey);
            }
            if (n.heapIndex != i) {
                throw new AssertionError("slot " + i + " holds " + n + " whose index field says " + n.heapIndex);
            }
            if (n.state == TimerRegistration.State.SCHEDULED && n.expiryNanos - heap.keyAt(i) < 0) {
                throw new AssertionError("slot " + i + " has key " + heap.keyAt(i) + " after the expiry of " + n);
            }
            if (i > 0) {
                int parent = TimerHeap.parentOf(i);
                long d = heap.keyAt(i) - heap.keyAt(parent);
                if (d < 0 || (d == 0 && n.id < heap.nodeAt(parent).id)) {
                    throw new AssertionError("slot " + i + " (" + n + ") sorts before its parent "
                            + heap.nodeAt(parent));
                }
            }
        }
    }

    private static TimerRegistration node(int id, long expiry) {
        TimerRegistration n = new TimerRegistration(id, t -> { }, null);
        n.frequencyMs = 1;
        n.expiryNanos = expiry;
        n.state = TimerRegistration.State.SCHEDULED;
        return n;
    }
}
