package org.xlbridge.soak;

import java.nio.file.Path;
import java.time.Duration;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.ids.IdAllocator;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * One soak run's settings.
 *
 * @param loop            the loop everything runs on ("auto" is resolved here, once)
 * @param protocol        the libxl ctxs' deregistration protocol
 * @param duration        how long the load runs (null when {@code operations} bounds the run)
 * @param operations      stop once this many operations completed (0 when {@code duration} bounds the run)
 * @param sample          time between two samples
 * @param warmup          samples in this first stretch are plotted but left out of the leak verdicts
 * @param faults          which faults, how often
 * @param seed            seed of every random choice (workloads and faults draw from streams made from it)
 * @param raceWorkers     toolstack threads of the libxl race
 * @param xlClients       management clients of the xl driver
 * @param xlDomains       domains of the simulated host
 * @param libvirtClients  client threads churning domains on the libvirt connection
 * @param libvirt         {@code daemon}: a private libvirtd started for the run (the libvirtd-restart fault
 *                        needs it); {@code none}: no libvirt clients; anything else: a libvirt URI to churn
 *                        on (e.g. {@code test:///default})
 * @param plots           directory for the PNG plots, or null for none
 * @param workDir         where the private libvirtd and the small-heap child keep their files
 * @param idSpace         0: the real id spaces; otherwise wrap mode: the loops' timer and watch ids and the
 *                        simulated hosts' domids run in {@code 1..idSpace} (the id seam,
 *                        {@link IdAllocator#LAST_PROPERTY}), so the counters wrap many times in a bounded run
 */
public record SoakOptions(LoopKind loop, DeregistrationProtocol protocol, Duration duration, long operations,
                          Duration sample, Duration warmup, FaultPlan faults, long seed, int raceWorkers,
                          int xlClients, int xlDomains, int libvirtClients, String libvirt, Path plots, Path workDir,
                          int idSpace) {
    /** The private-daemon mode of {@link #libvirt}. */
    public static final String DAEMON = "daemon";
    /** No libvirt clients. */
    public static final String NONE = "none";

    public SoakOptions {
        if (loop == null || protocol == null || sample == null || warmup == null || faults == null || libvirt == null
                || workDir == null) {
            throw new IllegalArgumentException("loop, protocol, sample, warmup, faults, libvirt and workDir must not be null");
        }
        if ((duration == null) == (operations <= 0)) {
            throw new IllegalArgumentException("give exactly one of --duration and --operations");
        }
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            throw new IllegalArgumentException("duration must be positive, got " + duration);
        }
        if (sample.toMillis() < 100) {
            throw new IllegalArgumentException("sample period must be at least 100ms, got " + sample.toMillis() + "ms");
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("warm-up must not be negative, got " + warmup);
        }
        check("race workers", raceWorkers, 0, 256);
        check("xl clients", xlClients, 0, 256);
        check("xl domains", xlDomains, 1, 100_000);
        check("libvirt clients", libvirtClients, 1, 64);
        if (xlClients > xlDomains) {
            throw new IllegalArgumentException("xl clients (" + xlClients + ") need a domain each: at most "
                    + xlDomains);
        }
        if (!libvirt.equals(DAEMON) && faults.enabled(FaultKind.LIBVIRTD_RESTART)) {
            throw new IllegalArgumentException("the libvirtd-restart fault needs --libvirt daemon (a private"
                    + " libvirtd the soak may kill); with --libvirt " + libvirt + " add --faults libvirtd-restart=off");
        }
        if (idSpace != 0 && idSpace < 4 * xlDomains) {
            throw new IllegalArgumentException("id space " + idSpace + " is too small for " + xlDomains + " domains:"
                    + " give at least " + 4 * xlDomains + " (every domain live at once plus a quarter in quarantine)");
        }
        if (idSpace != 0 && idSpace < MIN_ID_SPACE) {
            throw new IllegalArgumentException("id space must be 0 (the real spaces) or at least " + MIN_ID_SPACE
                    + " (room for the live registrations and a quarter of it in quarantine), got " + idSpace);
        }
        loop = loop.resolve();
    }

    /** The smallest id space of wrap mode. */
    public static final int MIN_ID_SPACE = 1024;

    private static void check(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", got " + value);
        }
    }

    /** True if libvirt clients run. */
    public boolean libvirtClientsRun() {
        return !libvirt.equals(NONE);
    }
}
