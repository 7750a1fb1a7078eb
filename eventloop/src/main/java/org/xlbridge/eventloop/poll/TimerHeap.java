package org.xlbridge.eventloop.poll;

import java.util.Arrays;

/**
 * An indexed binary min-heap of timers, ordered by expiry and then by id (ids grow with registration,
 * so ties fire in registration order). Every node records its slot ({@link TimerNode#heapIndex}), so
 * {@link #remove} and {@link #changed} are O(log n) without a search, as in
 * {@code ScheduledThreadPoolExecutor}'s queue.
 *
 * <p>The expiries are kept in a {@code long[]} beside the node array, so sifting compares keys without
 * touching the nodes (a node is read only on a tie); at a million timers this saves a cache miss per
 * level. Expiries are compared by subtraction, so a clock that wraps past {@link Long#MAX_VALUE} still
 * orders correctly as long as all pending expiries lie within 2^63 ns of each other.
 *
 * <p>A key may lag behind its node's expiry. {@link #changed} records a <em>later</em> expiry lazily: the
 * slot keeps the old, earlier key, which is still a lower bound, and the node is moved down only when
 * it reaches the top ({@link #settleTop()}, run by {@link #peek()}, {@link #peekExpiry()} and
 * {@link #poll()}). So the heap is ordered by (key, id), every key is at most its node's expiry, and
 * the top, once settled, is the earliest (expiry, id) of all. A re-base to later, the common case when
 * a timer is pushed back, then touches only the node; however often a timer is pushed back, it is
 * moved down at most once each time it reaches the top. Go's runtime treats its timers the same way
 * ("modified later"). A re-base to earlier is sifted up at once.
 *
 * <p>Not thread-safe: {@link PollEventLoop} guards it with its loop lock.
 */
final class TimerHeap {
    private static final int INITIAL_CAPACITY = 16;

    private TimerNode[] nodes = new TimerNode[INITIAL_CAPACITY];
    /** keys[i] &lt;= nodes[i].expiryNanos for every i &lt; size (equal once the node was settled). */
    private long[] keys = new long[INITIAL_CAPACITY];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest timer, or null. */
    TimerNode peek() {
        settleTop();
        return size == 0 ? null : nodes[0];
    }

    /** The earliest expiry; only meaningful when not empty. */
    long peekExpiry() {
        settleTop();
        return keys[0];
    }

    /** Inserts a node that is not in the heap, keyed by its current {@link TimerNode#expiryNanos}. */
    void add(TimerNode node) {
        if (node.heapIndex >= 0) {
            throw new IllegalStateException(node + " is already in the heap");
        }
        if (size == nodes.length) {
            int newCapacity = nodes.length * 2;
            nodes = Arrays.copyOf(nodes, newCapacity);
            keys = Arrays.copyOf(keys, newCapacity);
        }
        siftUp(size++, node, node.expiryNanos);
    }

    /** Removes and returns the earliest timer, or null. */
    TimerNode poll() {
        if (size == 0) {
            return null;
        }
        settleTop();
        TimerNode top = nodes[0];
        removeAt(0);
        return top;
    }

    /** Removes a node that is in the heap. */
    void remove(TimerNode node) {
        int i = node.heapIndex;
        if (i < 0 || i >= size || nodes[i] != node) {
            throw new IllegalStateException(node + " is not in the heap");
        }
        removeAt(i);
    }

    /**
     * Restores the order after the caller changed the {@link TimerNode#expiryNanos} of a node in the heap:
     * an earlier expiry is sifted up now, a later one is left for {@link #settleTop()}.
     */
    void changed(TimerNode node) {
        int i = node.heapIndex;
        if (i < 0 || i >= size || nodes[i] != node) {
            throw new IllegalStateException(node + " is not in the heap");
        }
        long key = node.expiryNanos;
        if (key - keys[i] < 0) {
            siftUp(i, node, key);
        }
    }

    /** Empties the heap, marking every node as out of it. */
    void clear() {
        for (int i = 0; i < size; i++) {
            nodes[i].heapIndex = -1;
            nodes[i] = null;
        }
        size = 0;
    }

    /** For tests: the node in slot {@code i}. */
    TimerNode nodeAt(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return nodes[i];
    }

    /** For tests: the key stored for slot {@code i}. */
    long keyAt(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return keys[i];
    }

    /** Moves down every top node whose key lags behind its expiry, until the top's key is exact. */
    private void settleTop() {
        while (size > 0) {
            TimerNode top = nodes[0];
            long expiry = top.expiryNanos;
            if (expiry == keys[0]) {
                return;
            }
            siftDown(0, top, expiry);
        }
    }

    private void removeAt(int i) {
        TimerNode removed = nodes[i];
        int last = --size;
        TimerNode moved = nodes[last];
        long movedKey = keys[last];
        nodes[last] = null;
        if (i != last) {
            siftDown(i, moved, movedKey);
            if (nodes[i] == moved) {
                siftUp(i, moved, movedKey);
            }
        }
        removed.heapIndex = -1;
    }

    /** Places {@code node} at slot {@code i} or above, moving parents down while it sorts before them. */
    private void siftUp(int i, TimerNode node, long key) {
        int id = node.id;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            long pk = keys[parent];
            long d = key - pk;
            // Read the parent node only on a tie or a move: at a million timers each read is a cache miss.
            if (d > 0 || (d == 0 && id > nodes[parent].id)) {
                break;
            }
            TimerNode p = nodes[parent];
            nodes[i] = p;
            keys[i] = pk;
            p.heapIndex = i;
            i = parent;
        }
        nodes[i] = node;
        keys[i] = key;
        node.heapIndex = i;
    }

    /** Places {@code node} at slot {@code i} or below, moving children up while they sort before it. */
    private void siftDown(int i, TimerNode node, long key) {
        int id = node.id;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            long ck = keys[child];
            if (right < size) {
                long d = keys[right] - ck;
                if (d < 0 || (d == 0 && nodes[right].id < nodes[child].id)) {
                    child = right;
                    ck = keys[right];
                }
            }
            long d = ck - key;
            if (d > 0 || (d == 0 && nodes[child].id > id)) {
                break;
            }
            TimerNode c = nodes[child];
            nodes[i] = c;
            keys[i] = ck;
            c.heapIndex = i;
            i = child;
        }
        nodes[i] = node;
        keys[i] = key;
        node.heapIndex = i;
    }

    /** True when (keyA, idA) sorts strictly before (keyB, idB). */
    static boolean before(long keyA, int idA, long keyB, int idB) {
        long d = keyA - keyB;
        return d < 0 || (d == 0 && idA < idB);
    }
}
