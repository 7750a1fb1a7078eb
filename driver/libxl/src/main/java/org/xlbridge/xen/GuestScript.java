package org.xlbridge.xen;

import java.util.Random;

/**
 * How a simulated guest (and its device backend) behaves: answers a shutdown or reboot request after some
 * milliseconds or never, crashes at a time, pauses slowly, takes a while to be released after a destroy. Immutable;
 * the {@code with*} methods return a changed copy. All times are milliseconds on the host's clock; {@link #NEVER}
 * means the thing never happens.
 *
 * @param shutdownAnswerMs  delay between a "poweroff" request in xenstore and the guest shutting down, or NEVER
 * @param rebootAnswerMs    delay between a "reboot" request and the guest shutting down for reboot, or NEVER
 * @param crashAtMs         time after the domain first runs at which the guest crashes, or NEVER
 * @param pauseDelayMs      delay between a pause request and the domain being paused (0: at once)
 * @param releaseDelayMs    delay between a destroy and the hypervisor releasing the domain, or NEVER (stays dying)
 * @param backendAnswerMs   delay before the device backend moves a device to the state asked for, or NEVER
 */
public record GuestScript(long shutdownAnswerMs, long rebootAnswerMs, long crashAtMs, long pauseDelayMs,
                          long releaseDelayMs, long backendAnswerMs) {
    /** The thing never happens. */
    public static final long NEVER = -1;

    public GuestScript {
        check("shutdownAnswerMs", shutdownAnswerMs);
        check("rebootAnswerMs", rebootAnswerMs);
        check("crashAtMs", crashAtMs);
        check("releaseDelayMs", releaseDelayMs);
        check("backendAnswerMs", backendAnswerMs);
        if (pauseDelayMs < 0) {
            throw new IllegalArgumentException("pauseDelayMs must not be negative: " + pauseDelayMs);
        }
    }

    private static void check(String what, long v) {
        if (v < NEVER) {
            throw new IllegalArgumentException(what + " must be >= 0 or NEVER (-1): " + v);
        }
    }

    /** A well-behaved guest: answers within 1 ms, never crashes, backend answers within 1 ms. */
    public static GuestScript cooperative() {
        return new GuestScript(1, 1, NEVER, 0, 0, 1);
    }

    /**
     * A guest drawn from {@code random} (seed it for a reproducible run): answers after 0..maxMs or, one time in
     * ten, never; a backend likewise; one guest in twenty crashes within maxMs; one in five pauses slowly.
     */
    public static GuestScript random(Random random, long maxMs) {
        if (maxMs < 1) {
            throw new IllegalArgumentException("maxMs must be positive: " + maxMs);
        }
        return new GuestScript(
                random.nextInt(10) == 0 ? NEVER : random.nextLong(maxMs + 1),
                random.nextInt(10) == 0 ? NEVER : random.nextLong(maxMs + 1),
                random.nextInt(20) == 0 ? random.nextLong(maxMs + 1) : NEVER,
                random.nextInt(5) == 0 ? random.nextLong(maxMs + 1) : 0,
                random.nextLong(Math.max(1, maxMs / 4) + 1),
                random.nextInt(10) == 0 ? NEVER : random.nextLong(maxMs + 1));
    }

    public GuestScript withShutdownAnswerMs(long ms) {
        return new GuestScript(ms, rebootAnswerMs, crashAtMs, pauseDelayMs, releaseDelayMs, backendAnswerMs);
    }

    public GuestScript withRebootAnswerMs(long ms) {
        return new GuestScript(shutdownAnswerMs, ms, crashAtMs, pauseDelayMs, releaseDelayMs, backendAnswerMs);
    }

    public GuestScript withCrashAtMs(long ms) {
        return new GuestScript(shutdownAnswerMs, rebootAnswerMs, ms, pauseDelayMs, releaseDelayMs, backendAnswerMs);
    }

    public GuestScript withPauseDelayMs(long ms) {
        return new GuestScript(shutdownAnswerMs, rebootAnswerMs, crashAtMs, ms, releaseDelayMs, backendAnswerMs);
    }

    public GuestScript withReleaseDelayMs(long ms) {
        return new GuestScript(shutdownAnswerMs, rebootAnswerMs, crashAtMs, pauseDelayMs, ms, backendAnswerMs);
    }

    public GuestScript withBackendAnswerMs(long ms) {
        return new GuestScript(shutdownAnswerMs, rebootAnswerMs, crashAtMs, pauseDelayMs, releaseDelayMs, ms);
    }
}
