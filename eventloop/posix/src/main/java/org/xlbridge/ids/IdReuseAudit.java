package org.xlbridge.ids;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;

/**
 * The I8 judge for runs that hand out millions of ids through wrapping counters ({@link IdAllocator}):
 * an id handed out again is a reuse if it is still live (handed out, its free not yet seen) or was freed
 * no more than {@link #quarantine()} adds of this kind ago. Checkers call {@link #added} right after an
 * add returned the id and {@link #freed} when the registration's free callback runs (before the owner
 * releases the id). Memory: the live ids plus the ids freed within the last {@code quarantine} adds.
 *
 * <p>A free may reach the audit before the add that made the id does (a callback removed its own
 * registration before {@code add*} returned to the checker): {@link #freed(Ticket)} and
 * {@link #added(Ticket, int)} take a ticket made before the add, so the two meet whatever their order.
 *
 * <p>Thread-safe: every method is synchronized.
 */
public final class IdReuseAudit {
    private final int quarantine;
    private final HashSet<Integer> live = new HashSet<>();
    /** Ids freed within the last {@code quarantine} adds: id to the add count at its free. */
    private final HashMap<Integer, Long> freedAt = new HashMap<>();
    /** The same, in free order, for pruning: {id, add count}. */
    private final ArrayDeque<long[]> freeOrder = new ArrayDeque<>();
    private long adds;
    private long reuses;
    private long highest;
    private String lastReuse;

    /** One registration's meeting point for its add and its free. */
    public static final class Ticket {
        private int id;
        private boolean freedEarly;
    }

    /** An audit whose quarantine is {@code quarantine} adds. */
    public IdReuseAudit(int quarantine) {
        if (quarantine < 0) {
            throw new IllegalArgumentException("quarantine must not be negative: " + quarantine);
        }
        this.quarantine = quarantine;
    }

    /** How far back the loop audits look at most, in adds: their memory is about 100 bytes per add. */
    public static final int MAX_LOOKBACK = 4096;

    /**
     * An audit for ids of {@code kind} ({@code "timer"}, {@code "watch"}: the names the loops give their
     * allocators): the quarantine the loops promise for the space in force, or {@link #MAX_LOOKBACK} adds
     * if that is shorter (with the real spaces: 65,536 promised, 4,096 judged, so the audit's memory stays
     * under half a megabyte; in the soak's wrap mode the whole quarantine is judged).
     */
    public static IdReuseAudit forLoopIds(String kind) {
        return new IdReuseAudit(Math.min(MAX_LOOKBACK, IdAllocator.quarantineFor(IdAllocator.configuredLastId(kind))));
    }

    /** A ticket for one registration, made before its add. */
    public Ticket ticket() {
        return new Ticket();
    }

    /**
     * Records {@code id}, just handed out for {@code ticket}'s registration.
     *
     * @return false if it is a reuse (or not positive)
     */
    public synchronized boolean added(Ticket ticket, int id) {
        boolean ok = added(id);
        ticket.id = id;
        if (ticket.freedEarly) {
            freed(id);
        }
        return ok;
    }

    /**
     * Records {@code id}, just handed out.
     *
     * @return false if it is a reuse (or not positive)
     */
    public synchronized boolean added(int id) {
        adds++;
        prune();
        boolean ok = true;
        if (id <= 0) {
            ok = false;
            lastReuse = "id " + id + " is not positive";
        } else if (live.contains(id)) {
            ok = false;
            lastReuse = "id " + id + " handed out again while live";
        } else {
            Long at = freedAt.remove(id);
            if (at != null) {
                ok = false;
                lastReuse = "id " + id + " handed out again " + (adds - at) + " adds after its free (quarantine "
                        + quarantine + ")";
            }
        }
        if (!ok) {
            reuses++;
        }
        if (id > 0) {
            live.add(id);
        }
        if (id > highest) {
            highest = id;
        }
        return ok;
    }

    /** Records that the free of {@code ticket}'s registration ran. */
    public synchronized void freed(Ticket ticket) {
        if (ticket.id == 0) {
            ticket.freedEarly = true;
            return;
        }
        freed(ticket.id);
    }

    /** Records that {@code id}'s free ran; an id not live is ignored. */
    public synchronized void freed(int id) {
        if (!live.remove(id)) {
            return;
        }
        if (quarantine > 0) {
            freedAt.put(id, adds);
            freeOrder.add(new long[] {id, adds});
        }
    }

    private void prune() {
        while (!freeOrder.isEmpty() && adds - freeOrder.peekFirst()[1] > quarantine) {
            long[] e = freeOrder.pollFirst();
            freedAt.remove((int) e[0], e[1]);
        }
    }

    /** Reuses seen (I8 violations). */
    public synchronized long reuses() {
        return reuses;
    }

    /** The last reuse, described, or null. */
    public synchronized String lastReuse() {
        return lastReuse;
    }

    /** Adds recorded. */
    public synchronized long adds() {
        return adds;
    }

    /** The largest id seen. */
    public synchronized long highest() {
        return highest;
    }

    /** Ids live now (added, free not seen). */
    public synchronized int live() {
        return live.size();
    }

    /** Adds an id stays suspect after its free. */
    public int quarantine() {
        return quarantine;
    }
}
