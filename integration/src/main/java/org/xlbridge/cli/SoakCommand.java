package org.xlbridge.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.soak.FaultKind;
import org.xlbridge.soak.FaultPlan;
import org.xlbridge.soak.SoakOptions;
import org.xlbridge.soak.SoakReport;
import org.xlbridge.soak.SoakRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code xlbridge soak}: everything at once on one loop, with faults, sampled for leaks. Exit 0 iff PASS. */
@Command(name = "soak", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        header = "Everything at once on one loop with seeded faults, sampled for leaks and checked for I1-I10.",
        description = {"The libxl race, the xl driver's management clients and libvirt-java clients on one loop,",
                "with seeded fault injection, for --duration or --operations. Samples heap (after GC), threads,",
                "fds, loop and bridge registrations, busy nexi, pending operations, timer lateness and",
                "operations/s; judges each series flat or growing; writes PNG plots and, with --json, a report.",
                "Exit code 0 iff no invariant violation and no growing series; 1 otherwise; 2 usage; 3 when the",
                "loop, libvirt or libvirtd could not start."})
public final class SoakCommand implements Callable<Integer> {
    @Option(names = "--loop", defaultValue = "embedded", description = "embedded, libvirt or auto (default ${DEFAULT-VALUE})")
    String loop;

    @Option(names = "--protocol", defaultValue = "asap-modify", description = "asap-modify or legacy (default ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--duration", paramLabel = "DURATION",
            description = "how long the load runs, e.g. 60s, 30m, 2h (default 60s unless --operations)")
    String duration;

    @Option(names = "--operations", defaultValue = "0",
            description = "stop once this many operations completed (race registrations, xl driver calls, libvirt calls)")
    long operations;

    @Option(names = "--sample", defaultValue = "1s", description = "time between samples (default ${DEFAULT-VALUE})")
    String sample;

    @Option(names = "--warmup", description = "samples left out of the leak verdicts (default: a sixth of the run, 5s..60s)")
    String warmup;

    @Option(names = "--faults", defaultValue = "default",
            description = {"default, none, or kind=value,... changing the defaults (value: a probability, seconds,",
                    "or off). Kinds and defaults: ${COMPLETION-CANDIDATES}. See docs/reliability.md."},
            completionCandidates = FaultDefaults.class)
    String faults;

    @Option(names = "--seed", defaultValue = "1", description = "seed of every random choice (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--race-workers", defaultValue = "4", description = "libxl race threads, 0 for none (default ${DEFAULT-VALUE})")
    int raceWorkers;

    @Option(names = "--xl-clients", defaultValue = "4", description = "xl driver clients, 0 for none (default ${DEFAULT-VALUE})")
    int xlClients;

    @Option(names = "--xl-domains", defaultValue = "64", description = "simulated domains (default ${DEFAULT-VALUE})")
    int xlDomains;

    @Option(names = "--libvirt-clients", defaultValue = "2", description = "libvirt client threads (default ${DEFAULT-VALUE})")
    int libvirtClients;

    @Option(names = "--libvirt", defaultValue = SoakOptions.DAEMON,
            description = {"daemon: churn on a private libvirtd the soak starts (and kills, for libvirtd-restart);",
                    "none: no libvirt clients; or a libvirt URI, e.g. test:///default (default ${DEFAULT-VALUE})"})
    String libvirt;

    @Option(names = "--plots", defaultValue = "soak-plots",
            description = "directory for the PNG plots, or none (default ${DEFAULT-VALUE})")
    String plots;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "where the private libvirtd and the small-heap run keep their files (default: <tmp>/xlbridge-soak)")
    Path workDir;

    @Option(names = "--id-space", paramLabel = "N", defaultValue = "0",
            description = {"wrap mode: the loops' timer and watch ids and the simulated hosts' domids run in 1..N",
                    "(at least " + SoakOptions.MIN_ID_SPACE + ") instead of their real spaces, so the counters wrap many"
                    + " times in a bounded run",
                    "(months of ids in minutes); the report says how often each wrapped. 0: the real spaces"
                    + " (default)"})
    int idSpace;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the report to FILE as JSON")
    Path json;

    /** The fault kinds with their defaults, for the help text. */
    static final class FaultDefaults implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(FaultKind.values())
                    .map(k -> FaultPlan.defaults().spec().split(",")[k.ordinal()]).iterator();
        }
    }

    @Override
    public Integer call() throws Exception {
        SoakOptions options;
        try {
            options = options();
        } catch (IllegalArgumentException e) {
            System.err.println("xlbridge soak: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        SoakReport report;
        try {
            report = new SoakRunner(options, System.out).run();
        } catch (IllegalStateException | EventLoopException e) {
            System.err.println("xlbridge soak: " + e.getMessage());
            return ExitCodes.ENVIRONMENT;
        }
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
        }
        return report.passed() ? ExitCodes.PASS : ExitCodes.VIOLATED;
    }

    /**
     * The run's options from the command line; output paths checked (and the plots directory created).
     *
     * @throws IllegalArgumentException naming the option and the value that cannot be used
     */
    SoakOptions options() {
        if (operations < 0) {
            throw new IllegalArgumentException("--operations " + operations + ": must be 0 (bounded by time) or positive");
        }
        OutputPaths.checkFile("--json", json);
        if (!plots.equalsIgnoreCase("none")) {
            OutputPaths.checkDirectory("--plots", Path.of(plots));
        }
        Duration d = duration != null ? Durations.parse(duration) : operations > 0 ? null : Duration.ofSeconds(60);
        Duration w = warmup != null ? Durations.parse(warmup) : defaultWarmup(d);
        if (libvirt.isBlank()) {
            throw new IllegalArgumentException("--libvirt must be daemon, none or a libvirt URI");
        }
        FaultPlan plan = FaultPlan.parse(faults);
        if (!libvirt.trim().equals(SoakOptions.DAEMON)
                && !faults.toLowerCase(java.util.Locale.ROOT).contains(FaultKind.LIBVIRTD_RESTART.key())) {
            // no private daemon to kill: --libvirt none (or a URI) implies libvirtd-restart=off, unless
            // the user asked for it by name (then SoakOptions says why it cannot be)
            plan = plan.with(FaultKind.LIBVIRTD_RESTART, 0);
        }
        return new SoakOptions(LoopKind.parse(loop), DriverConfig.parseProtocol(protocol), d, operations,
                Durations.parse(sample), w, plan, seed, raceWorkers, xlClients, xlDomains,
                libvirtClients, libvirt.trim(), plots.equalsIgnoreCase("none") ? null : Path.of(plots),
                workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"), "xlbridge-soak"),
                idSpace);
    }

    /** A sixth of the run, at least 5 s and at most 60 s; 60 s for a run bounded by operations. */
    static Duration defaultWarmup(Duration run) {
        if (run == null) {
            return Duration.ofSeconds(60);
        }
        long ms = Math.max(5_000, Math.min(60_000, run.toMillis() / 6));
        return Duration.ofMillis(ms);
    }
}
