package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Xen's own scenario, {@code tools/libs/light/libxl_test_timedereg.c}, ported with times scaled down by 10 and
 * driven deterministically through {@link RecordingHooks} on a {@link VirtualClock}:
 * <ol>
 *   <li>register group 0: 200, 100, 200 ms;</li>
 *   <li>when [0][1] (100 ms) fires: deregister [0][0] and [0][2], register group 1 (100, 200, 300 ms), then
 *       deregister [0][1] again, which has just fired (a no-op);</li>
 *   <li>group 1 fires in order; at the last callback nothing is registered;</li>
 *   <li>at the end every nexus is idle.</li>
 * </ol>
 * Run under both protocols: the single-threaded scenario is correct under both; they differ in which hooks
 * are called and in how long a deregistered timeout's nexus stays out.
 */
class TimederegScenarioTest {
    private static final long[][] MS = {{200, 100, 200}, {100, 200, 300}};

    private record Fired(int group, int index, long atMillis, long requestedMillis) {
    }

    @ParameterizedTest
    @EnumSource(DeregistrationProtocol.class)
    void xenTimederegScenario(DeregistrationProtocol protocol) {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, protocol);
        LibxlContext ctx = hooks.newContext();
        TimeEvent[][] et = new TimeEvent[2][3];
        for (int j = 0; j < 2; j++) {
            for (int i = 0; i < 3; i++) {
                et[j][i] = ctx.newTimeEvent();
            }
        }
        List<Fired> fired = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int[] seq = {0};
        boolean[] completed = {false};

        TimeEventCallback[] occurs = new TimeEventCallback[1];
        occurs[0] = (ev, requested, rc) -> {
            int off = indexOf(et, ev);
            fired.add(new Fired(off / 3, off % 3, clock.millisSinceStart(),
                    (requested - VirtualClock.START) / 1_000_000L));
            if (rc != LibxlError.TIMEDOUT.code()) {
                problems.add("rc " + rc);
            }
            if (!ctx.isLockHeldByCurrentThread()) {
                problems.add("callback without the ctx lock");
            }
            switch (seq[0]) {
                case 0 -> {
                    expect(problems, ev == et[0][1], "first to fire must be [0][1], was " + off);
                    et[0][0].deregister();
                    et[0][2].deregister();
                    regs(et[1], MS[1], occurs[0]);
                    et[0][1].deregister(); // has just fired: must be a no-op
                }
                case 1, 2 -> expect(problems, ev == et[1][seq[0] - 1], "seq " + seq[0] + " fired " + off);
                case 3 -> {
                    expect(problems, ev == et[1][2], "last must be [1][2], was " + off);
                    for (int i = 0; i < 3; i++) {
                        expect(problems, !et[0][i].isRegistered(), "[0][" + i + "] still registered");
                        expect(problems, !et[1][i].isRegistered(), "[1][" + i + "] still registered");
                    }
                    completed[0] = true;
                    return;
                }
                default -> problems.add("unexpected callback " + off + " at seq " + seq[0]);
            }
            seq[0]++;
        };

        regs(et[0], MS[0], occurs[0]);
        hooks.runUntilQuiet(ctx, 50);

        assertThat(problems).isEmpty();
        assertThat(completed[0]).as("the scenario reached its final callback").isTrue();
        assertThat(fired).containsExactly(
                new Fired(0, 1, 100, 100),
                new Fired(1, 0, 200, 200),
                new Fired(1, 1, 300, 300),
                new Fired(1, 2, 400, 400));

        LibxlStats s = ctx.stats();
        assertThat(s.registeredTimeEvents()).isZero();
        assertThat(s.timeoutNexiInUse()).as("every nexus idle").isZero();
        assertThat(s.timeoutsFired()).isEqualTo(4);
        assertThat(s.timeoutsFiredEarly()).isZero();
        assertThat(s.callbackFailures()).isZero();
        assertThat(hooks.count(RecordingHooks.Kind.TIMEOUT_REGISTER)).isEqualTo(6);
        assertThat(hooks.outstandingTimeouts()).isZero();
        hooks.assertNoViolations();

        if (protocol == DeregistrationProtocol.ASAP_MODIFY) {
            // [0][0] and [0][2] were emptied and left with the application; it fired them ASAP, the ctx
            // discarded both calls, and only then were their nexi recycled: 5 nexi in all.
            assertThat(hooks.count(RecordingHooks.Kind.TIMEOUT_MODIFY)).isEqualTo(2);
            assertThat(hooks.count(RecordingHooks.Kind.TIMEOUT_DEREGISTER)).isZero();
            assertThat(s.staleTimeoutsDiscarded()).isEqualTo(2);
            assertThat(s.timeoutNexiIdle()).isEqualTo(5);
            assertThat(hooks.calls().stream().filter(c -> c.kind() == RecordingHooks.Kind.TIMEOUT_MODIFY)
                    .allMatch(c -> c.deadlineNanos() == OsEventHooks.ASAP)).isTrue();
        } else {
            // Pre-fix: the two nexi went back to the pool at once and group 1 reused them: 3 nexi in all.
            assertThat(hooks.count(RecordingHooks.Kind.TIMEOUT_DEREGISTER)).isEqualTo(2);
            assertThat(hooks.count(RecordingHooks.Kind.TIMEOUT_MODIFY)).isZero();
            assertThat(s.staleTimeoutsDiscarded()).isZero();
            assertThat(s.timeoutNexiIdle()).isEqualTo(3);
        }
        ctx.close();
    }

    private static void regs(TimeEvent[] group, long[] ms, TimeEventCallback cb) {
        for (int i = 0; i < group.length; i++) {
            group[i].registerRel(ms[i], cb);
        }
    }

    private static int indexOf(TimeEvent[][] et, TimeEvent ev) {
        for (int j = 0; j < et.length; j++) {
            for (int i = 0; i < et[j].length; i++) {
                if (et[j][i] == ev) {
                    return j * 3 + i;
                }
            }
        }
        throw new AssertionError("unknown event " + ev);
    }

    private static void expect(List<String> problems, boolean ok, String what) {
        if (!ok) {
            problems.add(what);
        }
    }
}
