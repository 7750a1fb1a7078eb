package org.xlbridge.verification;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.xlbridge.verification.Scenarios.Setup;

/**
 * A bug of {@code PooledDispatchEventLoop} (eventloop test support) that the exploration found, kept as a
 * replayable witness: its promise "a registration's free runs after every dispatch handed to the pool
 * has returned" breaks when a second dispatch of the registration is handed to the pool while the first
 * one finishes. {@code Slot.finish()} decrements {@code inFlight} to 0 and only then reads
 * {@code freeRequested}; in between, the loop thread hands the second dispatch over (0 → 1) and the inner
 * loop's free sets {@code freeRequested}, so the first dispatch's thread runs the free while the second
 * dispatch is still queued. The second dispatch then reaches the real {@code OsEventBridge} after its
 * registration was freed; the bridge reports "timer dispatch after free" and touches nothing (I3 holds
 * for the bridge: it detected the loop's breach, as {@code UseAfterFreeProbeTest} expects).
 *
 * <p>Found by POS in scenario (b) under ASAP_MODIFY (about one schedule in several thousand); the
 * recording replays it every time. The fix is in the loop, not here (re-check {@code inFlight == 0} after
 * reading {@code freeRequested}; the free stays once-only through {@code freed}). When it lands this
 * replay no longer fails and this test fails: delete it then, and the exploration itself guards the fix.
 */
class PooledDispatchFreeRaceTest {

    @Test
    void theRecordedScheduleFreesARegistrationBeforeItsLastPooledDispatch() throws Exception {
        URL url = getClass().getResource("/recordings/pooled-free-before-last-dispatch-POS/random.json");
        assertThat(url).isNotNull();
        Path recording = Paths.get(url.toURI()).getParent();
        Throwable failure = Explorer.replay("pooled-free-before-last-dispatch", recording,
                Scenarios.twoDispatchesAgainstModify(Setup.fixed()));
        assertThat(failure).as("PooledDispatchEventLoop still frees before the last pooled dispatch"
                + " (if it was fixed: delete this witness)").isNotNull();
        assertThat(LegacyProtocolExplorationTest.rootMessage(failure)).contains("timer dispatch after free").contains("loop contract");
    }
}
