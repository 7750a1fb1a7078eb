package org.xlbridge.eventloop.core;

import java.util.Arrays;

/**
 * An indexed 4-ary min-heap of timers, ordered by expiry and then by id (ids grow with registration,
 * so ties fire in registration order). Every node records its slot ({@link TimerRegistration#heapIndex}),
 * so {@link #remove} and {@link #changed} need no search, as in {@code ScheduledThreadPoolExecutor}'s
 * queue. Four children per node halve the depth of a binary heap, and the four keys compared when
 * moving a node down sit side by side.
 *
 * <p>The expiries are kept in a {@code long[]} beside the node array, so sifting compares keys without
 * touching the nodes (a node is read only on a tie or a move). A node also keeps a copy of its slot's
 * key ({@link TimerRegistration#heapKey}; a key moves with its node, so only placing a node writes it),
 * so that {@link TimerQueue} can decide whether a re-base needs the heap at all from the node alone. Expiries are compared by subtraction, so
 * a clock that wraps past {@link Long#MAX_VALUE} still orders correctly as long as all pending expiries
 * lie within 2^63 ns of each other.
 *
 * <p>Two kinds of lag are allowed, both settled only when the node reaches the top
 * ({@link #settleTop()}, run by {@link #peek()}, {@link #peekExpiry()} and {@link #poll()}):
 * <ul>
 *   <li>A later expiry is recorded lazily ({@link #changed}): the slot keeps the old, earlier key, a
 *       lower bound, and the node is moved down when it reaches the top, at most once each time it gets
 *       there (Go's runtime treats "modified later" timers the same way). An earlier one is sifted up
 *       at once.</li>
 *   <li>A node whose state is no longer {@link TimerRegistration.State#SCHEDULED} (disabled, or moved to
 *       the ready list) may keep its slot as a ghost; the ghost leaves the heap when it reaches the top.
 *       So disabling a timer, or making it due at once, does not touch the heap.</li>
 * </ul>
 * So the heap is ordered by (key, id), every scheduled node's key is at most its expiry, and the top,
 * once settled, is the earliest (expiry, id) of all scheduled nodes.
 *
 * <p>Not thread-safe: {@link CoreEventLoop} guards it with its loop lock.
 */
final class TimerHeap {
    private static final int INITIAL_CAPACITY = 16;
    /** log2 of the arity. */
    private static final int SHIFT = 2;
    private static final int ARITY = 1 << SHIFT;

    private TimerRegistration[] nodes = new TimerRegistration[INITIAL_CAPACITY];
    /** keys[i] &lt;= nodes[i].expiryNanos for every scheduled node (equal once it was settled). */
    private long[] keys = new long[INITIAL_CAPACITY];
    private int size;

    /** Slots in use, ghosts included. */
    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest scheduled timer, or null. */
    TimerRegistration peek() {
        settleTop();
        return size == 0 ? null : nodes[0];
    }

    /** The earliest expiry; only meaningful when {@link #peek()} is not null. */
    long peekExpiry() {
        settleTop();
        return keys[0];
    }

    /** Inserts a node that is not in the heap, keyed by its current {@link TimerRegistration#expiryNanos}. */
    void add(TimerRegistration node) {
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

    /** Removes and returns the earliest scheduled timer, or null. */
    TimerRegistration poll() {
        settleTop();
        if (size == 0) {
            return null;
        }
        TimerRegistration top = nodes[0];
        removeAt(0);
        return top;
    }

    /** Removes a node that is in the heap (scheduled or ghost). */
    void remove(TimerRegistration node) {
        removeAt(slotOf(node));
    }

    /**
     * Restores the order after the caller changed the {@link TimerRegistration#expiryNanos} of a node in
     * the heap: an expiry earlier than the slot's key is sifted up now, a later one is left for
     * {@link #settleTop()}.
     */
    void changed(TimerRegistration node) {
        int i = slotOf(node);
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

    /** The node in slot {@code i} (a ghost or not), for walks over every slot and for tests. */
    TimerRegistration nodeAt(int i) {
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

    /** For tests: the parent slot of slot {@code i > 0}. */
    static int parentOf(int i) {
        return (i - 1) >>> SHIFT;
    }

    private int slotOf(TimerRegistration node) {
        int i = node.heapIndex;
        if (i < 0 || i >= size || nodes[i] != node) {
            throw new IllegalStateException(node + " is not in the heap");
        }
        return i;
    }

    /** Drops ghosts from the top and moves down every top node whose key lags behind its expiry. */
    private void settleTop() {
        while (size > 0) {
            TimerRegistration top = nodes[0];
            if (top.state != TimerRegistration.State.SCHEDULED) {
                removeAt(0);
                continue;
            }
            long expiry = top.expiryNanos;
            if (expiry == keys[0]) {
                return;
            }
            siftDown(0, top, expiry);
        }
    }

    private void removeAt(int i) {
        TimerRegistration removed = nodes[i];
        int last = --size;
        TimerRegistration moved = nodes[last];
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
    private void siftUp(int i, TimerRegistration node, long key) {
        int id = node.id;
        while (i > 0) {
            int parent = (i - 1) >>> SHIFT;
            long pk = keys[parent];
            long d = key - pk;
            // Read the parent node only on a tie or a move: at a million timers each read is a cache miss.
            if (d > 0 || (d == 0 && id > nodes[parent].id)) {
                break;
            }
            TimerRegistration p = nodes[parent];
            nodes[i] = p;
            keys[i] = pk;
            p.heapIndex = i;
            i = parent;
        }
        nodes[i] = node;
        keys[i] = key;
        node.heapIndex = i;
        node.heapKey = key;
    }

    /** Places {@code node} at slot {@code i} or below, moving the least child up while it sorts before it. */
    private void siftDown(int i, TimerRegistration node, long key) {
        int id = node.id;
        while (true) {
            int first = (i << SHIFT) + 1;
            if (first >= size) {
                break;
            }
            int end = Math.min(first + ARITY, size);
            int child = first;
            long ck = keys[first];
            for (int c = first + 1; c < end; c++) {
                long d = keys[c] - ck;
                if (d < 0 || (d == 0 && nodes[c].id < nodes[child].id)) {
                    child = c;
                    ck = keys[c];
                }
            }
            long d = ck - key;
            if (d > 0 || (d == 0 && nodes[child].id > id)) {
                break;
            }
            TimerRegistration c = nodes[child];
            nodes[i] = c;
            keys[i] = ck;
            c.heapIndex = i;
            i = child;
        }
        nodes[i] = node;
        keys[i] = key;
        node.heapIndex = i;
        node.heapKey = key;
    }
}
