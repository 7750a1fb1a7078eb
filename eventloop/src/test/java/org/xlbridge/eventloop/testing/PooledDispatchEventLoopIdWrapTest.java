package org.xlbridge.eventloop.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.IdWraps;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.conformance.IdLedger;
import org.xlbridge.eventloop.conformance.IdWrapSuite;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * {@link IdWrapSuite} on the pooled dispatcher (over the embedded loop, both with the small id space),
 * and the case only a pool can produce: a callback still running on a pool thread after its
 * registration was removed and the inner loop freed it.
 */
class PooledDispatchEventLoopIdWrapTest extends IdWrapSuite {
    @Override
    protected EventLoop newLoop() {
        return new PooledDispatchEventLoop(new PollEventLoop(), 3, 0);
    }

    @Test
    void anIdWhoseCallbackStillRunsOnThePoolIsNotHandedOutAcrossTwoWraps() throws Exception {
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger seen = new AtomicInteger();
        int[] victimBox = new int[1];
        int victim = loop.addTimeout(0, t -> {
            if (seen.getAndIncrement() == 0) {
                inCallback.countDown();
                Await.await(release, "the test to release the callback");
                loop.updateTimeout(t, 5); // a stale id: must reach nothing, certainly not a newer timer
            }
        }, null);
        victimBox[0] = victim;
        Await.await(inCallback, "the victim's callback to start");
        assertThat(loop.removeTimeout(victim)).isTrue();

        IdLedger ledger = new IdLedger(QUARANTINE);
        AtomicInteger frees = new AtomicInteger();
        AtomicInteger fired = new AtomicInteger();
        List<Integer> handedOut = new ArrayList<>();
        int removed = 0;
        while (IdWraps.of(loop)[0] < 2) {
            int[] box = new int[1];
            int id = loop.addTimeout(-1, t -> fired.incrementAndGet(), ledger.freeing(box, frees::incrementAndGet));
            box[0] = id;
            ledger.added(id);
            handedOut.add(id);
            loop.removeTimeout(id);
            removed++;
            int expected = removed;
            if (removed % 16 == 0) {
                Await.until(() -> frees.get() >= expected, expected + " frees");
            }
        }
        assertThat(handedOut).as("the id of a callback still running").doesNotContain(victim);
        // one more live timer the stale update must not touch
        int[] box = new int[1];
        int bystander = loop.addTimeout(-1, t -> fired.incrementAndGet(), ledger.freeing(box, frees::incrementAndGet));
        box[0] = bystander;
        ledger.added(bystander);
        assertThat(bystander).isNotEqualTo(victim);
        release.countDown();
        Await.until(() -> ((PooledDispatchEventLoop) loop).dispatchesInFlight() == 0, "the victim's callback to return");
        Await.sleep(30);
        assertThat(fired).as("no other timer fired from the stale update").hasValue(0);
        loop.removeTimeout(bystander);
        int all = removed + 1;
        Await.until(() -> frees.get() == all, all + " frees");
        assertThat(ledger.violations()).isEmpty();
    }
}
