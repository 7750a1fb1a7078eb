package org.xlbridge.ids;

import java.util.Arrays;
import java.util.Objects;

/**
 * Hands out positive {@code int} ids that never run out: a cursor moves up through {@code 1..lastId},
 * wraps to 1 at the end, and skips every id that is still <em>taken</em>, the way the kernel hands out
 * PIDs. Used for the event loops' timer and watch ids and for every other id this project hands to a
 * caller (the simulated host's domids; a daemon's callback ids).
 *
 * <p>The rule. An id is taken from {@link #allocate()} until {@link #release(int)} plus
 * {@link #quarantine()} further allocations of this allocator. The owner calls {@code release} only when
 * nobody can hold the id any more: for an event loop, after the registration's free callback has run (or,
 * without one, after any running callback of that registration has returned). libvirt's callers may keep
 * using an id until its free callback has run and never after, so an id is never handed out again while a
 * libvirt-style caller may still hold it; the quarantine adds a margin for sloppy holders and keeps a
 * just-freed id stale (an update to it stays a no-op) for at least {@code quarantine} allocations. Before
 * the cursor first wraps every id ahead of it is fresh, so ids come out in increasing order exactly as a
 * plain counter would give them.
 *
 * <p>Cost. Taken ids are bits in pages of {@value #PAGE_IDS} ids (16 KiB, allocated while they hold a
 * taken id, dropped when empty), so allocate and release are a few array operations and allocate nothing
 * in steady state. Before the first wrap an allocation never probes. After it, the cursor skips taken ids
 * 64 at a time; over one lap of the cursor it visits each of the {@code lastId} ids once, so an
 * allocation costs amortised at most {@code lastId / (lastId - maxTaken)} probes (at most 2 while no more
 * than half the id space is taken: with the default space, a billion live ids). A single allocation that
 * meets a run of {@code r} consecutive taken ids scans {@code r / 64} words. Quarantined ids leave in
 * release order, each once, so expiry is O(1) amortised.
 *
 * <p>A full space. When every id is live or in quarantine, the oldest released id is handed out with its
 * quarantine cut short ({@link #quarantineCutShort()} counts it): its free callback has run, so no
 * libvirt-style caller holds it. When every id is live, {@link #allocate()} throws
 * {@link IllegalStateException}. Neither can happen before about {@code lastId - quarantine} ids are
 * live at once (two billion with the default space).
 *
 * <p>The seam for tests and soaks: {@link #configured(String)} reads the system properties
 * {@value #FIRST_PROPERTY} (the first id the cursor hands out, default 1) and {@value #LAST_PROPERTY}
 * (the end of the id space, default {@link Integer#MAX_VALUE}; {@value #LAST_PROPERTY}{@code .NAME}, e.g.
 * {@code xlbridge.ids.last.watch}, for one kind of id only), so a run can start a counter just below its
 * end or shrink the space and wrap many times in seconds. Nothing in production sets them.
 *
 * <p>Not thread-safe: the owner guards an allocator with its own lock.
 */
public final class IdAllocator {
    /** System property: the first id the cursor hands out (tests and soaks only). */
    public static final String FIRST_PROPERTY = "xlbridge.ids.first";
    /** System property: the largest id, where the cursor wraps to 1 (tests and soaks only). */
    public static final String LAST_PROPERTY = "xlbridge.ids.last";
    /** The quarantine of a full-size id space, in allocations. */
    public static final int DEFAULT_QUARANTINE = 1 << 16;

    static final int PAGE_BITS = 16;
    static final int PAGE_IDS = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE_IDS - 1;
    private static final int WORDS = PAGE_IDS / 64;

    private final String name;
    private final int lastId;
    private final int quarantine;

    /** The last id handed out (before the first allocation: the one before the first id). */
    private int cursor;
    /** The cursor has wrapped at least once: ids ahead of it may be taken. */
    private boolean lapped;
    private long wraps;
    private long allocations;
    private long quarantineCutShort;
    /** Words examined by the post-wrap search (tests check the amortised bound with it). */
    long wordsScanned;

    /** Per page of ids: taken bits and resting (released, in quarantine) bits; null while none is taken. */
    private Page[] pages = new Page[4];
    private int taken;

    /**
     * Released ids in release order with the allocation count at release (its low 32 bits: the
     * quarantine is below 2^31, so an int difference measures it): a ring of 8 bytes per resting id.
     */
    private int[] restIds = new int[16];
    private int[] restAt = new int[16];
    private int restHead;
    private int restSize;

    private static final class Page {
        final long[] taken = new long[WORDS];
        final long[] resting = new long[WORDS];
        int count;
    }

    /**
     * An allocator of ids {@code 1..lastId} whose cursor hands out {@code firstId} first.
     *
     * @param name       what the ids are, for error messages ("timer", "watch", "domid")
     * @param firstId    the first id handed out, in {@code 1..lastId}
     * @param lastId     the largest id; the cursor wraps to 1 after it
     * @param quarantine allocations an id stays unavailable after its release, in {@code 0..lastId/2}
     * @throws IllegalArgumentException for any other value
     */
    public IdAllocator(String name, int firstId, int lastId, int quarantine) {
        this.name = Objects.requireNonNull(name, "name");
        if (lastId < 1) {
            throw new IllegalArgumentException(name + " ids: lastId must be positive, got " + lastId);
        }
        if (firstId < 1 || firstId > lastId) {
            throw new IllegalArgumentException(name + " ids: firstId must be in 1.." + lastId + ", got " + firstId);
        }
        if (quarantine < 0 || quarantine > lastId / 2) {
            throw new IllegalArgumentException(name + " ids: quarantine must be in 0.." + lastId / 2 + ", got "
                    + quarantine);
        }
        this.lastId = lastId;
        this.quarantine = quarantine;
        this.cursor = firstId - 1;
    }

    /** An allocator of ids {@code 1..lastId} starting at 1, with {@link #quarantineFor(int)}. */
    public IdAllocator(String name, int lastId) {
        this(name, 1, lastId, quarantineFor(lastId));
    }

    /**
     * The allocator the event loops use: ids {@code 1..Integer.MAX_VALUE} from 1 with the default
     * quarantine, unless the test-and-soak seam ({@value #FIRST_PROPERTY}, {@value #LAST_PROPERTY}) says
     * otherwise.
     *
     * @throws IllegalArgumentException if a property is set to something that is not a valid bound
     */
    public static IdAllocator configured(String name) {
        int last = lastProperty(name, Integer.MAX_VALUE);
        int first = property(FIRST_PROPERTY, 1);
        return new IdAllocator(name, first, last, quarantineFor(last));
    }

    /**
     * An allocator of ids {@code 1..lastId} (a space smaller than an int's, e.g. Xen's domids) with the
     * quarantine for its size; the test-and-soak seam may shrink the space further (its
     * {@value #LAST_PROPERTY} caps {@code lastId}) and start the cursor elsewhere ({@value #FIRST_PROPERTY},
     * used if it lies in the space).
     */
    public static IdAllocator configured(String name, int lastId) {
        int last = Math.min(lastId, lastProperty(name, Integer.MAX_VALUE));
        int first = property(FIRST_PROPERTY, 1);
        return new IdAllocator(name, first >= 1 && first <= last ? first : 1, last, quarantineFor(last));
    }

    /** The last id of the space {@link #configured} would use now. */
    public static int configuredLastId() {
        return property(LAST_PROPERTY, Integer.MAX_VALUE);
    }

    /** The last id of the space {@link #configured(String)} would use now for {@code name}. */
    public static int configuredLastId(String name) {
        return lastProperty(name, Integer.MAX_VALUE);
    }

    /**
     * The quarantine for a space of {@code lastId} ids: {@link #DEFAULT_QUARANTINE} allocations, or a
     * quarter of the space if that is smaller (so a small space still has three quarters to hand out).
     */
    public static int quarantineFor(int lastId) {
        return Math.min(DEFAULT_QUARANTINE, lastId / 4);
    }

    /** {@value #LAST_PROPERTY}{@code .name} if set, else {@value #LAST_PROPERTY}, else {@code dflt}. */
    private static int lastProperty(String name, int dflt) {
        return property(LAST_PROPERTY + "." + name, property(LAST_PROPERTY, dflt));
    }

    private static int property(String key, int dflt) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + key + " must be an int, got '" + v + "'", e);
        }
    }

    /**
     * The next id: the first one after the cursor that is not taken (wrapping from {@code lastId} to 1).
     * It is taken until {@link #release} and the quarantine after it.
     *
     * @throws IllegalStateException if every id is live (see the class comment for a full space)
     */
    public int allocate() {
        expireResting();
        int id;
        if (!lapped && cursor < lastId) {
            id = cursor + 1;
        } else {
            id = nextFreeAfter(cursor);
        }
        cursor = id;
        allocations++;
        Page page = pageFor(id);
        int slot = id & PAGE_MASK;
        page.taken[slot >>> 6] |= 1L << slot;
        page.count++;
        taken++;
        return id;
    }

    /**
     * Starts the quarantine of a taken id: it becomes available again after {@link #quarantine()} more
     * allocations. Call it once per {@link #allocate()}, when nobody can hold the id any more.
     *
     * @throws IllegalArgumentException if {@code id} is not taken, or was already released
     */
    public void release(int id) {
        Page page = id < 1 || id > lastId ? null : pageAt(id >>> PAGE_BITS);
        int slot = id & PAGE_MASK;
        long bit = 1L << slot;
        if (page == null || (page.taken[slot >>> 6] & bit) == 0) {
            throw new IllegalArgumentException(name + " id " + id + " is not taken: released twice or never allocated");
        }
        if ((page.resting[slot >>> 6] & bit) != 0) {
            throw new IllegalArgumentException(name + " id " + id + " was already released");
        }
        if (quarantine == 0) {
            untake(page, id);
            return;
        }
        page.resting[slot >>> 6] |= bit;
        if (restSize == restIds.length) {
            growRing();
        }
        int tail = restHead + restSize;
        if (tail >= restIds.length) {
            tail -= restIds.length;
        }
        restIds[tail] = id;
        restAt[tail] = (int) allocations;
        restSize++;
    }

    /** Whether {@code id} is taken: handed out and not yet past its release and quarantine. */
    public boolean isTaken(int id) {
        if (id < 1 || id > lastId) {
            return false;
        }
        Page page = pageAt(id >>> PAGE_BITS);
        int slot = id & PAGE_MASK;
        return page != null && (page.taken[slot >>> 6] & (1L << slot)) != 0;
    }

    /** Ids taken: live plus in quarantine. */
    public int taken() {
        return taken;
    }

    /** Ids released and still in quarantine. */
    public int resting() {
        return restSize;
    }

    /** Times the cursor wrapped from {@code lastId} to 1. */
    public long wraps() {
        return wraps;
    }

    /**
     * Allocations that found every id live or in quarantine and took the oldest released id before its
     * quarantine ended (its free callback had run; only the margin was cut short).
     */
    public long quarantineCutShort() {
        return quarantineCutShort;
    }

    /** Ids handed out so far. */
    public long allocations() {
        return allocations;
    }

    /** The largest id. */
    public int lastId() {
        return lastId;
    }

    /** Allocations an id stays unavailable after its release. */
    public int quarantine() {
        return quarantine;
    }

    /** Pages of bits currently allocated (for tests: memory follows the taken ids). */
    int allocatedPages() {
        int n = 0;
        for (Page p : pages) {
            if (p != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " ids[last=" + lastId + ", cursor=" + cursor + ", taken=" + taken + ", resting=" + restSize
                + ", wraps=" + wraps + "]";
    }

    // ---------------------------------------------------------------------------------------------

    /** Frees the released ids whose quarantine is over: release order is expiry order. */
    private void expireResting() {
        while (restSize > 0 && (int) allocations - restAt[restHead] >= quarantine) {
            int id = restIds[restHead];
            restHead = restHead + 1 == restIds.length ? 0 : restHead + 1;
            restSize--;
            Page page = pageAt(id >>> PAGE_BITS);
            int slot = id & PAGE_MASK;
            page.resting[slot >>> 6] &= ~(1L << slot);
            untake(page, id);
        }
    }

    private void untake(Page page, int id) {
        int slot = id & PAGE_MASK;
        page.taken[slot >>> 6] &= ~(1L << slot);
        taken--;
        int p = id >>> PAGE_BITS;
        // An empty page is dropped unless the cursor is in it (it would be allocated again at once).
        if (--page.count == 0 && p != cursor >>> PAGE_BITS) {
            pages[p] = null;
        }
    }

    /**
     * The first id after {@code from} (cyclically in 1..lastId) that is not taken, skipping whole words
     * of taken ids and whole absent pages. Counts a wrap each time it passes lastId.
     */
    private int nextFreeAfter(int from) {
        long visited = 0;
        int id = from;
        while (true) {
            if (id >= lastId) {
                id = 1;
                lapped = true;
                wraps++;
            } else {
                id++;
            }
            // id is the candidate; look at its word from this bit on.
            wordsScanned++;
            Page page = pageAt(id >>> PAGE_BITS);
            if (page == null) {
                return id;
            }
            int slot = id & PAGE_MASK;
            int word = slot >>> 6;
            long free = ~page.taken[word] & (-1L << slot); // free bits at or after the candidate in this word
            if (free != 0) {
                int found = (id & ~63) + Long.numberOfTrailingZeros(free);
                if (found <= lastId && found > 0) {
                    return found;
                }
            }
            // Everything from id to the end of its word is taken (or beyond lastId): skip to the word's end.
            int wordEnd = (id | 63);
            visited += (long) wordEnd - id + 1;
            if (visited > (long) lastId + 64) {
                return exhausted();
            }
            id = wordEnd < 0 || wordEnd >= lastId ? lastId : wordEnd; // next iteration starts after it
        }
    }

    /**
     * Every id is live or in quarantine. The oldest released id has had its free callback run, so it is
     * handed out with its quarantine cut short (counted); with none released, nothing can be.
     */
    private int exhausted() {
        if (restSize == 0) {
            throw new IllegalStateException("no free " + name + " id: all " + lastId + " are live");
        }
        int id = restIds[restHead];
        restHead = restHead + 1 == restIds.length ? 0 : restHead + 1;
        restSize--;
        Page page = pageAt(id >>> PAGE_BITS);
        int slot = id & PAGE_MASK;
        page.resting[slot >>> 6] &= ~(1L << slot);
        page.taken[slot >>> 6] &= ~(1L << slot);
        page.count--;
        taken--;
        quarantineCutShort++;
        return id;
    }

    private Page pageAt(int p) {
        return p < pages.length ? pages[p] : null;
    }

    private Page pageFor(int id) {
        int p = id >>> PAGE_BITS;
        if (p >= pages.length) {
            pages = Arrays.copyOf(pages, Math.max(p + 1, pages.length * 2));
        }
        Page page = pages[p];
        if (page == null) {
            page = new Page();
            pages[p] = page;
        }
        return page;
    }

    private void growRing() {
        int n = restIds.length;
        int[] ids = new int[n * 2];
        int[] at = new int[n * 2];
        for (int i = 0; i < restSize; i++) {
            int j = (restHead + i) % n;
            ids[i] = restIds[j];
            at[i] = restAt[j];
        }
        restIds = ids;
        restAt = at;
        restHead = 0;
    }
}
