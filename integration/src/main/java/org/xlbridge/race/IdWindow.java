package org.xlbridge.race;

/**
 * The set of loop ids seen so far, in bounded memory, for the I8 check ("loop ids are never reused") of
 * runs that hand out millions of ids. Every loop of this project allocates ids in increasing order (an
 * id is a counter, never recycled), and a checker records an id just after {@code add*} returned it, so
 * a fresh id is always close to the largest seen. The window keeps one bit for each of the last
 * {@link #WINDOW} ids below the largest; an id that falls below the window cannot be fresh and counts as
 * reused, like an id whose bit is already set. Memory: {@code WINDOW / 8} bytes, whatever the run length.
 *
 * <p>Not thread-safe: callers hold a lock of their own around {@link #add}.
 */
public final class IdWindow {
    /** Ids remembered below the largest one seen: 2^20 (128 KiB of bits). */
    public static final int WINDOW = 1 << 20;
    private static final int MASK = WINDOW - 1;

    private final long[] bits = new long[WINDOW / 64];
    private long max; // largest id seen, 0 before any

    /**
     * Records {@code id}.
     *
     * @return false if it was seen before, lies below the window, or is not positive (all reuses for I8)
     */
    public boolean add(int id) {
        if (id <= 0 || id <= max - WINDOW) {
            return false;
        }
        if (id > max) {
            // Slots of ids max+1 .. id held ids that are now out of the window: clear them.
            long from = max + 1;
            if (id - from >= WINDOW) {
                java.util.Arrays.fill(bits, 0L);
            } else {
                for (long i = from; i <= id; i++) {
                    int slot = (int) (i & MASK);
                    bits[slot >>> 6] &= ~(1L << slot);
                }
            }
            max = id;
        }
        int slot = id & MASK;
        long bit = 1L << slot;
        if ((bits[slot >>> 6] & bit) != 0) {
            return false;
        }
        bits[slot >>> 6] |= bit;
        return true;
    }

    /** The largest id seen (0 before any). */
    public long max() {
        return max;
    }
}
