package org.xlbridge.eventloop.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.IdWraps;
import org.xlbridge.ids.IdAllocator;
import org.xlbridge.posix.TestPipe;

/**
 * A loop's timer and watch ids through several wraps of a small id space (the test seam of
 * {@link IdAllocator#configured}: ids 1..{@value #LAST_ID}, so a quarantine of {@code LAST_ID / 4} adds),
 * judged by {@link IdLedger}: no id handed out again while live or within the quarantine after its free
 * ran. Live ids sit at both ends of the space across the wraps and still update, fire with their own id
 * and remove. One subclass per loop; the loop runs on a thread of the suite's.
 */
public abstract class IdWrapSuite {
    /** The id space of the loops under test: ids 1..LAST_ID. */
    protected static final int LAST_ID = 256;
    protected static final int QUARANTINE = IdAllocator.quarantineFor(LAST_ID);
    private static final int WRAPS = 3;

    protected EventLoop loop;
    private Thread loopThread;
    private final List<TestPipe> pipes = new ArrayList<>();
    private final List<Throwable> loopFailures = new CopyOnWriteArrayList<>();

    /** A new, open loop; called while the id seam is set to {@code 1..LAST_ID}. */
    protected abstract EventLoop newLoop();

    /** Builds {@code loop} with ids 1..{@code last}, the seam restored afterwards. */
    public static <T> T withIdSpace(int last, Supplier<T> make) {
        String old = System.getProperty(IdAllocator.LAST_PROPERTY);
        System.setProperty(IdAllocator.LAST_PROPERTY, Integer.toString(last));
        try {
            return make.get();
        } finally {
            if (old == null) {
                System.clearProperty(IdAllocator.LAST_PROPERTY);
            } else {
                System.setProperty(IdAllocator.LAST_PROPERTY, old);
            }
        }
    }

    @BeforeEach
    void start() {
        loop = withIdSpace(LAST_ID, this::newLoop);
        loopThread = new Thread(() -> {
            try {
                loop.run();
            } catch (Throwable e) {
                loopFailures.add(e);
            }
        }, "id-wrap-loop");
        loopThread.setDaemon(true);
        loopThread.start();
    }

    @AfterEach
    void close() {
        try {
            loop.close();
            Await.join(loopThread);
        } finally {
            pipes.forEach(TestPipe::close);
        }
        assertThat(loopFailures).isEmpty();
    }

    private long[] wraps() {
        long[] w = IdWraps.of(loop);
        assertThat(w[0]).as("the loop reports its id wraps").isNotNegative();
        return w;
    }

    @Test
    void timerIdsWrapSeveralTimesNeverReusedWhileLiveOrRecentlyFreed() {
        IdLedger ledger = new IdLedger(QUARANTINE);
        AtomicInteger frees = new AtomicInteger();
        Map<Integer, Integer> firedWith = new ConcurrentHashMap<>();
        List<Integer> kept = new ArrayList<>();
        int removed = 0;
        int lowKept = 0;
        while (wraps()[0] < WRAPS) {
            int[] box = new int[1];
            int id = loop.addTimeout(-1, t -> {
                firedWith.put(box[0], t);
                loop.updateTimeout(t, -1);
            }, ledger.freeing(box, frees::incrementAndGet));
            box[0] = id;
            ledger.added(id);
            // live at both ends: the first adds (the bottom of the space) and the last ids before each end
            if ((lowKept < 4 && id <= 8) || (id > LAST_ID - 3 && kept.size() < 12)) {
                if (id <= 8) {
                    lowKept++;
                }
                kept.add(id);
                continue;
            }
            if (id % 5 == 0) {
                loop.updateTimeout(id, ONE_HOUR_MS); // update across the wrap, then remove
            }
            assertThat(loop.removeTimeout(id)).isTrue();
            removed++;
            int expected = removed;
            if (removed % 16 == 0) {
                Await.until(() -> frees.get() >= expected, expected + " frees");
            }
        }
        assertThat(kept).as("live ids at both ends").anyMatch(i -> i <= 8).anyMatch(i -> i > LAST_ID - 3);
        for (int id : kept) {
            loop.updateTimeout(id, 0); // each still its own timer after the wraps
        }
        Await.until(() -> firedWith.keySet().containsAll(kept), "every kept timer to fire");
        kept.forEach(id -> assertThat(firedWith.get(id)).as("timer %d fired with its own id", id).isEqualTo(id));
        for (int id : kept) {
            assertThat(loop.removeTimeout(id)).isTrue();
            assertThat(loop.removeTimeout(id)).isFalse();
        }
        int all = removed + kept.size();
        Await.until(() -> frees.get() == all, all + " frees");
        assertThat(ledger.violations()).isEmpty();
        assertThat(ledger.adds()).isGreaterThan(2L * LAST_ID);
        assertThat(loop.stats().liveTimeouts()).isZero();
    }

    @Test
    void watchIdsWrapSeveralTimesNeverReusedWhileLiveOrRecentlyFreed() {
        TestPipe p = TestPipe.open();
        pipes.add(p);
        IdLedger ledger = new IdLedger(QUARANTINE);
        AtomicInteger frees = new AtomicInteger();
        List<Integer> kept = new ArrayList<>();
        int removed = 0;
        while (wraps()[1] < WRAPS) {
            int[] box = new int[1];
            int id = loop.addHandle(p.readFd(), HandleEvents.READABLE, (w, fd, ev) -> { },
                    ledger.freeing(box, frees::incrementAndGet));
            box[0] = id;
            ledger.added(id);
            if ((id <= 3 || id > LAST_ID - 3) && kept.size() < 12) {
                kept.add(id);
                continue;
            }
            loop.updateHandle(id, id % 2 == 0 ? 0 : HandleEvents.READABLE);
            assertThat(loop.removeHandle(id)).isTrue();
            removed++;
            int expected = removed;
            if (removed % 16 == 0) {
                Await.until(() -> frees.get() >= expected, expected + " frees");
            }
        }
        assertThat(kept).anyMatch(i -> i <= 3).anyMatch(i -> i > LAST_ID - 3);
        for (int id : kept) {
            loop.updateHandle(id, 0);
            assertThat(loop.removeHandle(id)).isTrue();
        }
        int all = removed + kept.size();
        Await.until(() -> frees.get() == all, all + " frees");
        assertThat(ledger.violations()).isEmpty();
        assertThat(loop.stats().liveHandles()).isZero();
    }

    /**
     * Just after a wrap, a live id right ahead of the cursor is removed: it is skipped until its
     * quarantine is over and comes back on a later lap.
     */
    @Test
    void anIdFreedJustAheadOfTheCursorComesBackOnlyAfterItsQuarantine() {
        IdLedger ledger = new IdLedger(QUARANTINE);
        AtomicInteger frees = new AtomicInteger();
        List<Integer> live = new ArrayList<>();
        int removed = 0;
        // fill the space, keeping the low half live
        for (int i = 1; i <= LAST_ID; i++) {
            int[] box = new int[1];
            int id = loop.addTimeout(-1, t -> { }, ledger.freeing(box, frees::incrementAndGet));
            box[0] = id;
            ledger.added(id);
            if (id <= LAST_ID / 2 && id != 1) {
                live.add(id);
            } else {
                loop.removeTimeout(id);
                removed++;
                int expected = removed;
                Await.until(() -> frees.get() >= expected, "the free of " + id);
            }
        }
        assertThat(wraps()[0]).isZero();
        // the victim: a live id just ahead of where the cursor will be after the wrap
        int victim = 3;
        assertThat(live).contains(victim);
        List<Integer> after = new ArrayList<>();
        boolean victimFreed = false;
        long victimFreedAtAdd = -1;
        while (after.size() < 3 * LAST_ID) {
            int[] box = new int[1];
            int id = loop.addTimeout(-1, t -> { }, ledger.freeing(box, frees::incrementAndGet));
            box[0] = id;
            ledger.added(id);
            after.add(id);
            if (!victimFreed && wraps()[0] == 1) {
                live.remove((Integer) victim);
                loop.removeTimeout(victim);
                removed++;
                int expected = removed;
                Await.until(() -> frees.get() >= expected, "the victim's free");
                victimFreed = true;
                victimFreedAtAdd = after.size();
            }
            if (victimFreed && id == victim) {
                break;
            }
            loop.removeTimeout(id);
            removed++;
            int expected = removed;
            Await.until(() -> frees.get() >= expected, "the free of " + id);
        }
        assertThat(victimFreed).isTrue();
        assertThat(after.get(after.size() - 1)).as("the victim comes back on a later lap").isEqualTo(victim);
        assertThat(after.size() - victimFreedAtAdd).as("adds between the victim's free and its return")
                .isGreaterThan(QUARANTINE);
        assertThat(ledger.violations()).isEmpty();
        loop.removeTimeout(victim);
        live.forEach(loop::removeTimeout);
    }

    private static final int ONE_HOUR_MS = 3_600_000;
}
