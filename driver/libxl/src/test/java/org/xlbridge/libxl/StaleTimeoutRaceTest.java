package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.RecordingHooks.AppTimeout;
import org.xlbridge.libxl.RecordingHooks.TimeoutState;

/**
 * The race of Xen commit 5f5ef65b, reproduced deterministically. One schedule, run under both protocols:
 * <ol>
 *   <li>the toolstack registers E for +100 ms;</li>
 *   <li>at +100 ms the application's loop picks E's registration and is about to call
 *       {@code occurredTimeout(tokenE)} — but is delayed (no lock is held there, so it can be);</li>
 *   <li>meanwhile the toolstack deregisters E and registers F for +1000 ms;</li>
 *   <li>the delayed {@code occurredTimeout(tokenE)} arrives.</li>
 * </ol>
 * Under ASAP_MODIFY, F got a fresh nexus, E's nexus was empty, the call is discarded and F fires at its
 * deadline. Under LEGACY_DEREGISTER, E's nexus went back to the pool at deregistration and F got it, so the late
 * call fires F 1000 ms early: the bug the fix removed.
 */
class StaleTimeoutRaceTest {

    private static final class Run {
        final VirtualClock clock = new VirtualClock();
        final RecordingHooks hooks;
        final LibxlContext ctx;
        final TimeEvent e;
        final TimeEvent f;
        final List<String> fired = new ArrayList<>();
        final List<Long> fFiredAtMillis = new ArrayList<>();
        AppTimeout eReg;
        AppTimeout fReg;

        Run(DeregistrationProtocol protocol) {
            hooks = new RecordingHooks(clock, protocol);
            ctx = hooks.newContext();
            e = ctx.newTimeEvent();
            f = ctx.newTimeEvent();
        }

        /** Steps 1–4. */
        void raceSchedule() {
            e.registerRel(100, (ev, d, rc) -> fired.add("E"));
            eReg = hooks.lastTimeout();
            clock.advanceMillis(100);
            assertThat(hooks.dueTimeouts()).containsExactly(eReg);
            hooks.beginFiring(eReg); // the loop picked it; occurredTimeout not yet called

            ctx.withLock(() -> {
                e.deregister();
                f.registerRel(1000, (ev, d, rc) -> {
                    fired.add("F");
                    fFiredAtMillis.add(clock.millisSinceStart());
                });
            });
            fReg = hooks.lastTimeout();

            hooks.completeDelivery(ctx, eReg); // the late occurredTimeout(tokenE)
        }
    }

    @Test
    void underAsapModifyTheLateOccurredIsDiscardedAndTheNewerTimeoutIsUntouched() {
        Run r = new Run(DeregistrationProtocol.ASAP_MODIFY);
        r.raceSchedule();

        assertThat(r.fReg.token()).as("F must not get E's nexus while E's occurred is owed")
                .isNotSameAs(r.eReg.token());
        assertThat(r.eReg.asapRequests()).as("E was deregistered by timeoutModify(ASAP)").isEqualTo(1);
        assertThat(r.eReg.asapIgnored()).as("the application ignored it: its dispatch was under way").isEqualTo(1);
        assertThat(r.fired).as("neither E (deregistered) nor F (not due) may fire").isEmpty();
        assertThat(r.f.isRegistered()).isTrue();
        LibxlStats s = r.ctx.stats();
        assertThat(s.staleTimeoutsDiscarded()).as("the late call is counted as stale").isEqualTo(1);
        assertThat(s.timeoutsFiredEarly()).isZero();
        assertThat(s.timeoutNexiInUse()).as("only F's nexus is out").isEqualTo(1);

        // F fires at its own deadline, not before.
        r.hooks.runUntilQuiet(r.ctx, 10);
        assertThat(r.fired).containsExactly("F");
        assertThat(r.fFiredAtMillis).containsExactly(1100L);
        s = r.ctx.stats();
        assertThat(s.timeoutsFiredEarly()).isZero();
        assertThat(s.timeoutNexiInUse()).isZero();
        assertThat(s.timeoutsOnIdleNexus()).isZero();
        assertThat(r.hooks.count(RecordingHooks.Kind.TIMEOUT_DEREGISTER)).as("I7").isZero();
        r.hooks.assertNoViolations();
    }

    @Test
    void underLegacyDeregisterTheLateOccurredFiresTheNewerTimeoutEarly() {
        Run r = new Run(DeregistrationProtocol.LEGACY_DEREGISTER);
        r.raceSchedule();

        // The legacy bug, reproduced: E's nexus was recycled at deregistration and handed to F ...
        assertThat(r.fReg.token()).isSameAs(r.eReg.token());
        assertThat(r.hooks.count(RecordingHooks.Kind.TIMEOUT_DEREGISTER)).isEqualTo(1);
        assertThat(r.eReg.state()).isEqualTo(TimeoutState.DELIVERED);
        // ... so E's late occurredTimeout fired F at +100 ms, although F asked for +1100 ms.
        assertThat(r.fired).containsExactly("F");
        assertThat(r.fFiredAtMillis).containsExactly(100L);
        assertThat(r.f.isRegistered()).isFalse();
        LibxlStats s = r.ctx.stats();
        assertThat(s.timeoutsFiredEarly()).isEqualTo(1);
        assertThat(s.staleTimeoutsDiscarded()).as("the ctx cannot tell the call was stale").isZero();

        // And the mess goes on: F's own registration still fires at +1100 ms, with a token already idle.
        assertThat(r.fReg.state()).isEqualTo(TimeoutState.ARMED);
        r.hooks.runUntilQuiet(r.ctx, 10);
        assertThat(r.fired).containsExactly("F");
        assertThat(r.ctx.stats().timeoutsOnIdleNexus()).isEqualTo(1);
    }
}
