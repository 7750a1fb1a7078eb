package org.xlbridge.driver.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.LifecycleAction;

/**
 * A model of libvirt's domain lifecycle, as libvirt's libxl driver implements it (and as docs/driver.md states
 * it): what each call answers, which state it leaves, which events every connection sees, in which order. The
 * stateful property tests run random call sequences against it and the driver side by side.
 *
 * <p>Guests: {@link Guest#ANSWER} answers a shutdown or reboot request at once; {@link Guest#LATE} answers only
 * when the test says so ({@link #answer}); {@link Guest#NEVER} never answers. Any guest may crash, or power off or
 * reboot by itself while it runs.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class LifecycleModel {
    enum Guest { ANSWER, LATE, NEVER }

    /** The part of a definition the model follows. */
    record Def(LifecycleAction onPoweroff, LifecycleAction onReboot, LifecycleAction onCrash, Guest guest, int memMiB) {
        String xml(String name, UUID uuid, String type, boolean guestMetadata) {
            String guestAttrs = guest == Guest.ANSWER ? "shutdown='0' reboot='0'" : "shutdown='never' reboot='never'";
            return "<domain type='" + type + "'><name>" + name + "</name><uuid>" + uuid + "</uuid>"
                    + "<memory unit='MiB'>" + memMiB + "</memory><vcpu>1</vcpu>"
                    + "<os><type>hvm</type></os>"
                    + "<on_poweroff>" + action(onPoweroff) + "</on_poweroff><on_reboot>" + action(onReboot)
                    + "</on_reboot><on_crash>" + action(onCrash) + "</on_crash>"
                    + (guestMetadata ? "<metadata><guest " + guestAttrs + "/></metadata>" : "") + "</domain>";
        }

        private static String action(LifecycleAction a) {
            return a.name().toLowerCase().replace('_', '-');
        }
    }

    /** One domain as the model knows it. */
    static final class Dom {
        final String name;
        final UUID uuid;
        boolean persistent = true;
        boolean active;
        DomainState state = DomainState.VIR_DOMAIN_SHUTOFF;
        Def persistentDef;
        Def liveDef;
        /** The request written for the guest and not answered ("poweroff" or "reboot"), or null. */
        String pending;
        /** A reboot operation of this life is in flight. */
        boolean rebootInFlight;

        Dom(String name, UUID uuid, Def def) {
            this.name = name;
            this.uuid = uuid;
            this.persistentDef = def;
        }

        Def live() {
            return liveDef != null ? liveDef : persistentDef;
        }
    }

    /** What a call answers: null for success, else the error number. */
    static final ErrorNumber OK = null;

    final Map<String, Dom> domains = new TreeMap<>();
    final List<String> events = new ArrayList<>();

    private void event(Dom d, String typeAndDetail) {
        events.add(d.name + " " + typeAndDetail);
    }

    static UUID uuidOf(String name) {
        return UUID.nameUUIDFromBytes(("xlbridge-lifecycle-" + name).getBytes());
    }

    ErrorNumber define(String name, Def def) {
        Dom d = domains.get(name);
        if (d == null) {
            d = new Dom(name, uuidOf(name), def);
            domains.put(name, d);
            event(d, "DEFINED/ADDED");
            return OK;
        }
        d.persistentDef = def; // a running domain keeps its live definition until it stops
        d.persistent = true;
        event(d, "DEFINED/UPDATED");
        return OK;
    }

    ErrorNumber create(Dom d) {
        if (d.active) {
            return ErrorNumber.VIR_ERR_OPERATION_INVALID;
        }
        start(d);
        return OK;
    }

    private void start(Dom d) {
        d.active = true;
        d.state = DomainState.VIR_DOMAIN_RUNNING;
        d.liveDef = d.persistentDef;
        d.pending = null;
        d.rebootInFlight = false;
        event(d, "STARTED/BOOTED");
    }

    /** The domain stopped: cleanup, then a transient one goes (unless it is started again). */
    private void stopped(Dom d, String event, boolean restart) {
        d.active = false;
        d.state = DomainState.VIR_DOMAIN_SHUTOFF;
        d.liveDef = null;
        d.pending = null;
        d.rebootInFlight = false;
        event(d, event);
        if (restart) {
            start(d);
        } else if (!d.persistent) {
            domains.remove(d.name);
        }
    }

    private boolean stateChangeRefused(Dom d) {
        return !d.active || d.rebootInFlight;
    }

    ErrorNumber shutdown(Dom d) {
        if (stateChangeRefused(d)) {
            return ErrorNumber.VIR_ERR_OPERATION_INVALID;
        }
        switch (d.live().guest()) {
            case ANSWER -> poweroff(d);
            case LATE -> d.pending = "poweroff";
            case NEVER -> { }
        }
        return OK;
    }

    ErrorNumber reboot(Dom d) {
        if (stateChangeRefused(d)) {
            return ErrorNumber.VIR_ERR_OPERATION_INVALID;
        }
        switch (d.live().guest()) {
            case ANSWER -> rebootDone(d);
            case LATE -> {
                d.pending = "reboot";
                d.rebootInFlight = true;
            }
            case NEVER -> d.rebootInFlight = true;
        }
        return OK;
    }

    /** The guest answered a reboot request of the driver's reboot operation: restarted in place, or destroyed. */
    private void rebootDone(Dom d) {
        if (d.live().onReboot() == LifecycleAction.DESTROY) {
            stopped(d, "STOPPED/SHUTDOWN", false);
            return;
        }
        event(d, "STOPPED/SHUTDOWN");
        d.state = DomainState.VIR_DOMAIN_RUNNING;
        d.pending = null;
        d.rebootInFlight = false;
        event(d, "STARTED/BOOTED");
    }

    /** The guest powered off (answering a request or by itself): the live on_poweroff applies. */
    void poweroff(Dom d) {
        stopped(d, "STOPPED/SHUTDOWN", d.live().onPoweroff() == LifecycleAction.RESTART);
    }

    /** The guest rebooted by itself (no reboot operation in flight): the live on_reboot applies. */
    void guestReboot(Dom d) {
        stopped(d, "STOPPED/SHUTDOWN", d.live().onReboot() == LifecycleAction.RESTART);
    }

    void crash(Dom d) {
        stopped(d, "STOPPED/CRASHED", d.live().onCrash() == LifecycleAction.RESTART);
    }

    /** A late guest answers its pending request now. */
    void answer(Dom d) {
        if (d.pending.equals("reboot")) {
            rebootDone(d);
        } else {
            poweroff(d);
        }
    }

    ErrorNumber destroy(Dom d) {
        if (!d.active) {
            return ErrorNumber.VIR_ERR_OPERATION_INVALID;
        }
        stopped(d, "STOPPED/DESTROYED", false);
        return OK;
    }

    ErrorNumber suspend(Dom d) {
        if (stateChangeRefused(d)) {
            return ErrorNumber.VIR_ERR_OPERATION_INVALID;
        }
        if (d.state == DomainState.VIR_DOMAIN_RUNNING) {
            d.state = DomainState.VIR_DOMAIN_PAUSED;
            event(d, "SUSPENDED/PAUSED");
        }
        return OK;
    }

    ErrorNumber resume(Dom d) {
        if (stateChangeRefused(d)) {
            return ErrorNumber.VIR_ERR_OPERATION_INVALID;
        }
        if (d.state == DomainState.VIR_DOMAIN_PAUSED) {
            d.state = DomainState.VIR_DOMAIN_RUNNING;
            event(d, "RESUMED/UNPAUSED");
        }
        return OK;
    }

    ErrorNumber undefine(Dom d) {
        if (!d.persistent) {
            return ErrorNumber.VIR_ERR_OPERATION_INVALID;
        }
        event(d, "UNDEFINED/REMOVED");
        if (d.active) {
            d.persistent = false;
            d.persistentDef = d.liveDef;
        } else {
            domains.remove(d.name);
        }
        return OK;
    }

    /** Domains.shutdownOrDestroy: answers "BY_GUEST" or "DESTROYED_AFTER_TIMEOUT". */
    String shutdownOrDestroy(Dom d) {
        if (d.live().guest() == Guest.ANSWER) {
            poweroff(d);
            return "BY_GUEST";
        }
        stopped(d, "STOPPED/DESTROYED", false);
        return "DESTROYED_AFTER_TIMEOUT";
    }
}
