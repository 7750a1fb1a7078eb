package org.xlbridge.eventloop.conformance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xlbridge.eventloop.FreeCallback;

/**
 * The I8 judge for tests: an id may be handed out again only when it is not live (added, its free
 * callback not yet run) and its free ran at least {@code quarantine} adds of the same kind ago. Tests
 * record each add right after it returned and wrap the free callback with {@link #freeing}, so a free
 * is seen when it runs.
 *
 * <p>Thread-safe: every method is synchronized (adds come from test threads, frees from the loop thread).
 */
public final class IdLedger {
    private final int quarantine;
    private final Map<Integer, Long> freedAt = new HashMap<>();
    private final Map<Integer, Boolean> live = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private long adds;
    private int highest;
    private int lowestAfterHighest = Integer.MAX_VALUE;

    /** A ledger for ids whose quarantine is {@code quarantine} adds. */
    public IdLedger(int quarantine) {
        this.quarantine = quarantine;
    }

    /**
     * A free callback that records {@code box[0]}'s free, then runs {@code inner} (may be null). The id is
     * read under the ledger's lock: an adder that holds it while it adds and fills the box (as the wrapping
     * loops of the tests do) is thus never seen half-way, even when the free runs before its add returned.
     */
    public FreeCallback freeing(int[] box, FreeCallback inner) {
        return () -> {
            synchronized (this) {
                freed(box[0]);
            }
            if (inner != null) {
                inner.free();
            }
        };
    }

    /** Records an id just handed out. */
    public synchronized void added(int id) {
        adds++;
        if (id <= 0) {
            violations.add("id " + id + " is not positive");
        } else if (live.containsKey(id)) {
            violations.add("id " + id + " handed out while live (add " + adds + ")");
        } else {
            Long at = freedAt.remove(id);
            if (at != null && adds - at <= quarantine) {
                violations.add("id " + id + " handed out " + (adds - at) + " adds after its free (quarantine "
                        + quarantine + ")");
            }
        }
        live.put(id, Boolean.TRUE);
        if (id > highest) {
            highest = id;
        }
    }

    /** Records that {@code id}'s free callback ran: nobody holds it any more. */
    public synchronized void freed(int id) {
        if (live.remove(id) == null) {
            violations.add("free of id " + id + " that is not live");
        }
        freedAt.put(id, adds);
    }

    /** Everything that broke the rule so far. */
    public synchronized List<String> violations() {
        return new ArrayList<>(violations);
    }

    /** Ids recorded and not freed. */
    public synchronized int live() {
        return live.size();
    }

    /** Adds recorded. */
    public synchronized long adds() {
        return adds;
    }
}
