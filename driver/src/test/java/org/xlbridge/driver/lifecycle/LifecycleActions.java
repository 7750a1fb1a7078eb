package org.xlbridge.driver.lifecycle;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.stateful.Action;
import org.libvirt.DomainInfo.DomainState;
import org.xlbridge.driver.api.LifecycleAction;
import org.xlbridge.driver.lifecycle.LifecycleHarness.Flavour;
import org.xlbridge.driver.lifecycle.LifecycleModel.Def;
import org.xlbridge.driver.lifecycle.LifecycleModel.Dom;
import org.xlbridge.driver.lifecycle.LifecycleModel.Guest;

/** The calls the stateful tests draw: management calls from several clients, and what guests do. */
final class LifecycleActions {
    static final int CLIENTS = 3;

    private LifecycleActions() {
    }

    static Arbitrary<Action<LifecycleHarness>> actions(Flavour flavour) {
        Arbitrary<Integer> client = Arbitraries.integers().between(0, CLIENTS - 1);
        Arbitrary<String> name = Arbitraries.of(LifecycleHarness.NAMES);
        Arbitrary<Action<LifecycleHarness>> define = Combinators.combine(client, name, defs(flavour))
                .as(Define::new);
        List<String> ops = List.of("create", "shutdown", "reboot", "destroy", "suspend", "resume", "undefine");
        Arbitrary<Action<LifecycleHarness>> op = Combinators.combine(client, name, Arbitraries.of(ops)).as(Op::new);
        Arbitrary<Action<LifecycleHarness>> helper = Combinators.combine(client, name).as(ShutdownOrDestroy::new);
        Arbitrary<Action<LifecycleHarness>> raceDefine = Combinators.combine(client, client, name, defs(flavour))
                .as(RaceDestroyDefine::new);
        Arbitrary<String> pairOp = Arbitraries.of("create", "destroy", "suspend", "resume");
        Arbitrary<Action<LifecycleHarness>> racePair = Combinators.combine(client, name, pairOp, client, name, pairOp)
                .as(RacePair::new);
        if (flavour == Flavour.LIBVIRT) {
            return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, define), net.jqwik.api.Tuple.of(8, op),
                    net.jqwik.api.Tuple.of(1, helper), net.jqwik.api.Tuple.of(2, raceDefine),
                    net.jqwik.api.Tuple.of(2, racePair));
        }
        Arbitrary<Action<LifecycleHarness>> lateEvents = Combinators.combine(client, name)
                .as(RestartThenShutdownOrDestroy::new);
        Arbitrary<Action<LifecycleHarness>> closing = Combinators.combine(client, name).as(CloseWhileHelperWaits::new);
        Arbitrary<Action<LifecycleHarness>> guest = Combinators.combine(name,
                Arbitraries.of("answer", "answer", "crash", "poweroff", "reboot")).as(GuestDoes::new);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, define), net.jqwik.api.Tuple.of(9, op),
                net.jqwik.api.Tuple.of(1, helper), net.jqwik.api.Tuple.of(3, guest),
                net.jqwik.api.Tuple.of(2, raceDefine), net.jqwik.api.Tuple.of(4, racePair),
                net.jqwik.api.Tuple.of(1, lateEvents), net.jqwik.api.Tuple.of(1, closing));
    }

    static Arbitrary<Def> defs(Flavour flavour) {
        if (flavour == Flavour.LIBVIRT) {
            return Arbitraries.of(64, 128).map(m -> new Def(LifecycleAction.DESTROY, LifecycleAction.RESTART,
                    LifecycleAction.DESTROY, Guest.ANSWER, m));
        }
        Arbitrary<LifecycleAction> destroyOrRestart = Arbitraries.of(LifecycleAction.DESTROY, LifecycleAction.RESTART);
        return Combinators.combine(destroyOrRestart, Arbitraries.of(LifecycleAction.RESTART, LifecycleAction.DESTROY),
                destroyOrRestart, Arbitraries.of(Guest.class), Arbitraries.of(64, 128)).as(Def::new);
    }

    record Define(int client, String name, Def def) implements Action<LifecycleHarness> {
        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.define(client, name, def);
            return h;
        }

        @Override
        public String toString() {
            return "c" + client + " define " + name + " " + def;
        }
    }

    record Op(int client, String name, String op) implements Action<LifecycleHarness> {
        @Override
        public boolean precondition(LifecycleHarness h) {
            Dom d = h.model.domains.get(name);
            if (d == null) {
                return false;
            }
            if (h.flavour == Flavour.LIBVIRT) {
                // The test driver's lenient differences, excluded explicitly (see Flavour.LIBVIRT).
                return switch (op) {
                    case "reboot" -> false;
                    case "suspend" -> !d.active || d.state == DomainState.VIR_DOMAIN_RUNNING;
                    case "resume" -> !d.active || d.state == DomainState.VIR_DOMAIN_PAUSED;
                    case "undefine" -> d.persistent;
                    default -> true;
                };
            }
            return true;
        }

        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.onDomain(client, name, op);
            return h;
        }

        @Override
        public String toString() {
            return "c" + client + " " + op + " " + name;
        }
    }

    record ShutdownOrDestroy(int client, String name) implements Action<LifecycleHarness> {
        @Override
        public boolean precondition(LifecycleHarness h) {
            Dom d = h.model.domains.get(name);
            return d != null && d.active && !d.rebootInFlight;
        }

        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.shutdownOrDestroy(client, name);
            return h;
        }

        @Override
        public String toString() {
            return "c" + client + " shutdownOrDestroy " + name;
        }
    }

    record RaceDestroyDefine(int destroyer, int definer, String name, Def def) implements Action<LifecycleHarness> {
        @Override
        public boolean precondition(LifecycleHarness h) {
            Dom d = h.model.domains.get(name);
            return d != null && d.active;
        }

        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.raceDestroyDefine(destroyer, definer, name, def);
            return h;
        }

        @Override
        public String toString() {
            return "race: c" + destroyer + " destroy " + name + " | c" + definer + " define " + name + " " + def;
        }
    }

    record RacePair(int ca, String na, String opA, int cb, String nb, String opB) implements Action<LifecycleHarness> {
        @Override
        public boolean precondition(LifecycleHarness h) {
            return !na.equals(nb) && allowed(h, na, opA) && allowed(h, nb, opB);
        }

        private static boolean allowed(LifecycleHarness h, String name, String op) {
            Dom d = h.model.domains.get(name);
            if (d == null) {
                return false;
            }
            if (h.flavour == Flavour.LIBVIRT) {
                return switch (op) {
                    case "suspend" -> !d.active || d.state == DomainState.VIR_DOMAIN_RUNNING;
                    case "resume" -> !d.active || d.state == DomainState.VIR_DOMAIN_PAUSED;
                    default -> true;
                };
            }
            return true;
        }

        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.racePair(ca, na, opA, cb, nb, opB);
            return h;
        }

        @Override
        public String toString() {
            return "race: c" + ca + " " + opA + " " + na + " | c" + cb + " " + opB + " " + nb;
        }
    }

    record RestartThenShutdownOrDestroy(int client, String name) implements Action<LifecycleHarness> {
        @Override
        public boolean precondition(LifecycleHarness h) {
            Dom d = h.model.domains.get(name);
            return d != null && d.active && d.persistent; // a transient one would go with the destroy
        }

        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.restartThenShutdownOrDestroy(client, name);
            return h;
        }

        @Override
        public String toString() {
            return "c" + client + " destroy, create, shutdownOrDestroy " + name + " (events late)";
        }
    }

    record CloseWhileHelperWaits(int client, String name) implements Action<LifecycleHarness> {
        @Override
        public boolean precondition(LifecycleHarness h) {
            Dom d = h.model.domains.get(name);
            return d != null && d.active && !d.rebootInFlight && d.live().guest() != Guest.ANSWER;
        }

        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.closeWhileHelperWaits(client, name);
            return h;
        }

        @Override
        public String toString() {
            return "c" + client + " shutdownOrDestroy " + name + ", connection closed meanwhile";
        }
    }

    record GuestDoes(String name, String what) implements Action<LifecycleHarness> {
        @Override
        public boolean precondition(LifecycleHarness h) {
            Dom d = h.model.domains.get(name);
            if (d == null || !d.active) {
                return false;
            }
            return switch (what) {
                case "answer" -> d.pending != null && d.live().guest() == Guest.LATE;
                case "crash" -> true;
                default -> d.state == DomainState.VIR_DOMAIN_RUNNING && !d.rebootInFlight;
            };
        }

        @Override
        public LifecycleHarness run(LifecycleHarness h) {
            h.guest(name, what);
            return h;
        }

        @Override
        public String toString() {
            return "guest of " + name + " " + what + (what.equals("answer") ? "s" : "");
        }
    }
}
