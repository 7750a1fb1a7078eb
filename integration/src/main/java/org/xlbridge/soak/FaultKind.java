package org.xlbridge.soak;

import java.util.Locale;

/**
 * The faults {@code xlbridge soak} injects. Each has a key used on the command line ({@code --faults}),
 * in the report and in the JSON ({@code faults.<key>}), a shape (a probability per opportunity, a period
 * between injections, or once per run) and a default.
 */
public enum FaultKind {
    /** The osevent hook refuses a registration: the loop refuses the bridge's add, libxl gets OSEVENT_REG_FAIL. */
    REG_FAIL("reg-fail", Shape.PROBABILITY, 0.002),
    /** A loop callback of the bridge throws after doing its work: the loop logs, counts and goes on. */
    CALLBACK_THROW("callback-throw", Shape.PROBABILITY, 0.0005),
    /** A lifecycle listener throws: the other listeners still get every event. */
    LISTENER_THROW("listener-throw", Shape.PROBABILITY, 0.01),
    /** A guest crashes while running (its domain's on_crash action follows). */
    GUEST_CRASH("guest-crash", Shape.PROBABILITY, 0.02),
    /** A guest never answers a shutdown request: the wait times out and the domain is destroyed. */
    GUEST_SILENT("guest-silent", Shape.PROBABILITY, 0.05),
    /** An operation in flight is aborted mid-way (a destroy while a shutdown or reboot waits). */
    ABORT("abort", Shape.PROBABILITY, 0.02),
    /** The private libvirtd is killed (SIGKILL) and started again; the client side reconnects. */
    LIBVIRTD_RESTART("libvirtd-restart", Shape.PERIOD_SECONDS, 20),
    /** The xl driver's state (its libxl ctx) is closed with operations pending and started again. */
    STATE_RESTART("state-restart", Shape.PERIOD_SECONDS, 15),
    /** A second soak runs in a child JVM with {@code -Xmx64m}; recovered when it passes. */
    SMALL_HEAP("small-heap", Shape.SECONDS_ONCE, 15);

    /** What a fault's value means. */
    public enum Shape {
        /** A probability in [0, 1] per opportunity (a registration, a callback, an operation...). */
        PROBABILITY,
        /** Seconds between two injections. */
        PERIOD_SECONDS,
        /** Seconds of one run, once per soak. */
        SECONDS_ONCE
    }

    private final String key;
    private final Shape shape;
    private final double defaultValue;

    FaultKind(String key, Shape shape, double defaultValue) {
        this.key = key;
        this.shape = shape;
        this.defaultValue = defaultValue;
    }

    /** The name on the command line and in reports, e.g. {@code reg-fail}. */
    public String key() {
        return key;
    }

    public Shape shape() {
        return shape;
    }

    /** The value {@code --faults default} uses. */
    public double defaultValue() {
        return defaultValue;
    }

    /** The kind named {@code key}. */
    public static FaultKind byKey(String key) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        for (FaultKind f : values()) {
            if (f.key.equals(k)) {
                return f;
            }
        }
        StringBuilder known = new StringBuilder();
        for (FaultKind f : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(f.key);
        }
        throw new IllegalArgumentException("unknown fault kind '" + key + "' (known: " + known + ")");
    }
}
