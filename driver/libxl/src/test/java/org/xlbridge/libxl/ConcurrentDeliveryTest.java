package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.RecordingHooks.AppTimeout;
import org.xlbridge.libxl.RecordingHooks.TimeoutState;

/**
 * Real threads, bounded: toolstack threads register and deregister timeouts while an application thread delivers
 * them, yielding between picking a timeout and calling occurredTimeout (where the race lives). Under ASAP_MODIFY
 * no callback may run for a cancelled or superseded registration or before its deadline (I2), every
 * registration is answered exactly once (I1), and nothing is left busy (I4). Under LEGACY_DEREGISTER the same
 * checker must find violations, or it would prove nothing.
 */
class ConcurrentDeliveryTest {
    private static final int TOOLSTACK_THREADS = 3;
    private static final int APPLICATION_ROUNDS = 2000;

    /** One toolstack thread's event and what it expects. Fields guarded by the ctx lock. */
    private static final class Owner {
        final TimeEvent event;
        long current;
        boolean cancelled;

        Owner(TimeEvent event) {
            this.event = event;
        }
    }

    private record Outcome(List<String> problems, LibxlStats stats, RecordingHooks hooks) {
    }

    @Test
    void noStaleOrEarlyFireUnderAsapModify() throws Exception {
        Outcome o = run(DeregistrationProtocol.ASAP_MODIFY);

        assertThat(o.problems).isEmpty();
        LibxlStats s = o.stats;
        assertThat(s.timeoutsFired()).as("the run exercised firing").isPositive();
        assertThat(s.staleTimeoutsDiscarded()).as("and deregistration").isPositive();
        assertThat(s.timeoutsFiredEarly()).isZero();
        assertThat(s.timeoutsOnIdleNexus()).as("I1: no second delivery for a recycled nexus").isZero();
        assertThat(s.callbackFailures()).isZero();
        assertThat(s.busyNexi()).as("I4").isZero();
        assertThat(s.registeredTimeEvents()).isZero();
        assertThat(o.hooks.timeouts()).extracting(AppTimeout::state).containsOnly(TimeoutState.DELIVERED);
        assertThat(o.hooks.timeouts()).as("I1: one occurredTimeout per registration, each fired or discarded")
                .hasSize((int) (s.timeoutsFired() + s.staleTimeoutsDiscarded()));
        assertThat(o.hooks.count(RecordingHooks.Kind.TIMEOUT_DEREGISTER)).as("I7").isZero();
        o.hooks.assertNoViolations();
    }

    @Test
    void theSameCheckerCatchesTheLegacyRace() throws Exception {
        List<String> problems = List.of();
        for (int attempt = 0; attempt < 5 && problems.isEmpty(); attempt++) {
            problems = run(DeregistrationProtocol.LEGACY_DEREGISTER).problems;
        }
        assertThat(problems).as("stale or early fires under LEGACY_DEREGISTER within 5 bounded runs").isNotEmpty();
    }

    private Outcome run(DeregistrationProtocol protocol) throws Exception {
        VirtualClock clock = new VirtualClock();
        RecordingHooks hooks = new RecordingHooks(clock, protocol);
        LibxlContext ctx = hooks.newContext();
        List<String> problems = new ArrayList<>(); // guarded by the ctx lock
        AtomicBoolean applicationDone = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(TOOLSTACK_THREADS + 1);
        try {
            List<Owner> owners = new ArrayList<>();
            List<CompletableFuture<Void>> toolstack = new ArrayList<>();
            for (int t = 0; t < TOOLSTACK_THREADS; t++) {
                Owner o = new Owner(ctx.newTimeEvent());
                owners.add(o);
                SplittableRandom random = new SplittableRandom(42 + t);
                toolstack.add(CompletableFuture.runAsync(() -> {
                    while (!applicationDone.get()) {
                        ctx.withLock(() -> step(clock, o, random, problems));
                        Thread.yield();
                    }
                }, pool));
            }
            CompletableFuture<Void> application = CompletableFuture.runAsync(() -> {
                SplittableRandom random = new SplittableRandom(7);
                for (int round = 0; round < APPLICATION_ROUNDS; round++) {
                    clock.advanceMillis(1);
                    Thread.yield(); // give the toolstack threads a turn in every virtual millisecond
                    for (AppTimeout due : hooks.dueTimeouts()) {
                        if (!hooks.tryBeginFiring(due)) {
                            continue; // deregistered (legacy) since it was found due
                        }
                        for (int y = random.nextInt(4); y > 0; y--) {
                            Thread.yield(); // let a toolstack thread deregister and re-register meanwhile
                        }
                        hooks.completeDelivery(ctx, due);
                    }
                }
            }, pool).whenComplete((v, e) -> applicationDone.set(true));

            application.get(60, TimeUnit.SECONDS);
            CompletableFuture.allOf(toolstack.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

            ctx.withLock(() -> owners.forEach(o -> o.event.deregister()));
            hooks.deliverDueTimeouts(ctx);
            return new Outcome(ctx.withLock(() -> List.copyOf(problems)), ctx.stats(), hooks);
        } finally {
            pool.shutdownNow();
            ctx.close();
        }
    }

    /** One toolstack step, with the ctx lock held. */
    private static void step(VirtualClock clock, Owner o, SplittableRandom random, List<String> problems) {
        if (!o.event.isRegistered()) {
            long id = ++o.current;
            o.cancelled = false;
            o.event.registerRel(random.nextInt(4), (ev, requested, rc) -> {
                if (id != o.current || o.cancelled) {
                    problems.add("stale fire of registration " + id + " (current " + o.current + ", cancelled "
                            + o.cancelled + ")");
                }
                if (clock.nanoTime() < requested) {
                    problems.add("early fire of registration " + id);
                }
            });
        } else if (random.nextInt(8) == 0) {
            o.event.deregister();
            o.cancelled = true;
        }
    }
}
