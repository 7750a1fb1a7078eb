package org.xlbridge.eventloop.core;

import java.util.Arrays;
import java.util.List;

/**
 * A map from the loop's ids to registrations, addressed directly rather than hashed: ids come from an
 * {@link org.xlbridge.ids.IdAllocator}, which hands them out in increasing order until it wraps, so the
 * live ones sit in a window that moves up over time (and starts again at 1 after a wrap). The table is a
 * directory of pages of 1024 slots; a lookup is two array reads, and neighbouring ids share a page, so
 * walking ids in order touches memory in order. A page is dropped once it holds no live id, unless the
 * last id put is in it (the next ids will land there), so a long add/remove churn keeps only the pages
 * that still hold a live id, plus the directory: 8 bytes per 1024 ids of the highest id ever put (at
 * most 16 MiB, once a counter has covered the whole int range).
 *
 * <p>Not thread-safe: {@link PollEventLoop} guards it with its loop lock.
 *
 * @param <V> the value type
 */
final class IdTable<V> {
    static final int PAGE_BITS = 10;
    static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int SLOT_MASK = PAGE_SIZE - 1;

    private Object[][] pages = new Object[16][];
    /** liveInPage[p] counts the non-null slots of pages[p]. */
    private int[] liveInPage = new int[16];
    private int size;
    /** The last id put: the page it is in is kept when it empties (the next ids follow it). */
    private int lastPutId;

    int size() {
        return size;
    }

    /** The value for {@code id}, or null. */
    @SuppressWarnings("unchecked")
    V get(int id) {
        if (id <= 0) {
            return null;
        }
        int p = id >>> PAGE_BITS;
        if (p >= pages.length) {
            return null;
        }
        Object[] page = pages[p];
        return page == null ? null : (V) page[id & SLOT_MASK];
    }

    /**
     * Maps a positive {@code id} to a non-null value.
     *
     * @return the previous value, or null
     */
    @SuppressWarnings("unchecked")
    V put(int id, V value) {
        if (id <= 0) {
            throw new IllegalArgumentException("id must be positive: " + id);
        }
        if (value == null) {
            throw new IllegalArgumentException("null value");
        }
        int p = id >>> PAGE_BITS;
        if (p >= pages.length) {
            int newLength = Math.max(p + 1, pages.length * 2);
            pages = Arrays.copyOf(pages, newLength);
            liveInPage = Arrays.copyOf(liveInPage, newLength);
        }
        Object[] page = pages[p];
        if (page == null) {
            page = new Object[PAGE_SIZE];
            pages[p] = page;
        }
        int slot = id & SLOT_MASK;
        V old = (V) page[slot];
        page[slot] = value;
        if (old == null) {
            size++;
            liveInPage[p]++;
        }
        lastPutId = id;
        return old;
    }

    /** Removes {@code id}; returns its value or null. */
    @SuppressWarnings("unchecked")
    V remove(int id) {
        if (id <= 0) {
            return null;
        }
        int p = id >>> PAGE_BITS;
        if (p >= pages.length) {
            return null;
        }
        Object[] page = pages[p];
        if (page == null) {
            return null;
        }
        int slot = id & SLOT_MASK;
        V old = (V) page[slot];
        if (old == null) {
            return null;
        }
        page[slot] = null;
        size--;
        if (--liveInPage[p] == 0 && p != lastPutId >>> PAGE_BITS) {
            pages[p] = null;
        }
        return old;
    }

    /** Appends every value to {@code out}, in id order. */
    @SuppressWarnings("unchecked")
    void valuesTo(List<? super V> out) {
        for (Object[] page : pages) {
            if (page == null) {
                continue;
            }
            for (Object v : page) {
                if (v != null) {
                    out.add((V) v);
                }
            }
        }
    }

    /** Removes everything and gives the memory back. */
    void clear() {
        pages = new Object[16][];
        liveInPage = new int[16];
        size = 0;
    }

    /** For tests: pages currently allocated. */
    int allocatedPages() {
        int n = 0;
        for (Object[] page : pages) {
            if (page != null) {
                n++;
            }
        }
        return n;
    }
}
