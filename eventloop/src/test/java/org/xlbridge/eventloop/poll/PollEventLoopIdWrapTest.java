package org.xlbridge.eventloop.poll;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.IdWraps;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.conformance.IdWrapSuite;

/** {@link IdWrapSuite} on the embedded loop, and the release rule for a registration without a free. */
class PollEventLoopIdWrapTest extends IdWrapSuite {
    @Override
    protected EventLoop newLoop() {
        return new PollEventLoop();
    }

    /**
     * A timer without a free callback, removed while its callback runs: its id stays taken until the
     * callback has returned, even when the churn of other null-free registrations fills the id space
     * (their ids are released by the runner, which is inside that callback). After it returns, the space
     * recovers and the ids wrap again.
     */
    @Test
    void aRemovedIdWithoutAFreeIsNotHandedOutWhileItsCallbackRuns() {
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        int victim = loop.addTimeout(0, t -> {
            if (calls.getAndIncrement() == 0) {
                inCallback.countDown();
                Await.await(release, "the test to release the callback");
            }
        }, null);
        Await.await(inCallback, "the victim's callback to start");
        assertThat(loop.removeTimeout(victim)).isTrue();
        List<Integer> handedOut = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < 2 * LAST_ID; i++) {
            try {
                int id = loop.addTimeout(-1, t -> { }, null);
                handedOut.add(id);
                loop.removeTimeout(id);
            } catch (IllegalStateException spaceFull) {
                assertThat(spaceFull).hasMessageContaining("no free timer id");
                refused++;
            }
        }
        assertThat(handedOut).as("the id of a callback still running").doesNotContain(victim);
        assertThat(refused).as("the space filled up: nothing is released while the runner is inside the callback")
                .isPositive();
        release.countDown();
        long wrapsBefore = IdWraps.of(loop)[0];
        Await.until(() -> {
            try {
                int id = loop.addTimeout(-1, t -> { }, null);
                loop.removeTimeout(id);
                return IdWraps.of(loop)[0] >= wrapsBefore + 2;
            } catch (IllegalStateException stillFull) {
                return false;
            }
        }, "the ids to wrap twice more once the callback returned");
    }
}
