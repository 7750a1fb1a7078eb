package org.xlbridge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.race.RaceOptions;
import org.xlbridge.race.RaceReport;
import org.xlbridge.race.RaceRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code xlbridge race}: the race demonstration and invariant check. Exit 0 iff no invariant was violated. */
@Command(name = "race", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        header = "The libxl timeout race (modify(ASAP) racing dispatch) on one loop, checked for I1-I9.",
        description = {"Workers register libxl time events with short random deadlines and deregister many of",
                "them right at the moment the loop dispatches them, so that modify(ASAP) races the dispatch.",
                "An invariant checker counts violations of I1-I8. With --libvirt-uri, libvirt-java clients churn",
                "domains on the same loop meanwhile and their lifecycle events are checked (I9).",
                "Exit code 0 iff no violation; 1 on violations; 2 usage; 3 when the loop or libvirt could not start."})
public final class RaceCommand implements Callable<Integer> {
    @Option(names = "--loop", defaultValue = "embedded", description = "embedded, libvirt or auto (default ${DEFAULT-VALUE})")
    String loop;

    @Option(names = "--protocol", defaultValue = "asap-modify", description = "asap-modify or legacy (default ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--dispatch-threads", defaultValue = "1",
            description = "1: the loop thread dispatches; N>1: a pooled, delaying dispatcher with N threads (default ${DEFAULT-VALUE})")
    int dispatchThreads;

    @Option(names = "--duration", defaultValue = "20s", paramLabel = "DURATION",
            description = "how long workers register, e.g. 500ms, 20s, 2m, 1h (default ${DEFAULT-VALUE})")
    String duration;

    @Option(names = "--workers", defaultValue = "4", description = "toolstack worker threads (default ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the workers' random choices (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--libvirt-uri", paramLabel = "URI",
            description = {"also churn domains on this libvirt connection (e.g. test:///default) on the same loop,",
                    "and check its lifecycle events (I9)"})
    String libvirtUri;

    @Option(names = "--libvirt-clients", defaultValue = "" + RaceOptions.DEFAULT_LIBVIRT_CLIENTS,
            description = "client threads on the libvirt connection (default ${DEFAULT-VALUE})")
    int libvirtClients;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the report to FILE as JSON")
    Path json;

    @Override
    public Integer call() throws Exception {
        RaceOptions options;
        try {
            options = new RaceOptions(LoopKind.parse(loop), DriverConfig.parseProtocol(protocol), dispatchThreads,
                    Durations.parse(duration), workers, seed, libvirtUri, libvirtClients);
            if (libvirtUri != null) {
                if (libvirtUri.trim().toLowerCase(java.util.Locale.ROOT).startsWith("xl:")) {
                    throw new IllegalArgumentException("--libvirt-uri " + libvirtUri + ": xl: is xlbridge's own driver,"
                            + " not a libvirt URI; 'xlbridge host' runs management clients on it");
                }
                DriverConfig.defaults().withLibvirtUri(libvirtUri); // checks the URI's shape
            }
            OutputPaths.checkFile("--json", json);
        } catch (IllegalArgumentException e) {
            System.err.println("xlbridge race: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        RaceReport report;
        try {
            report = new RaceRunner(options, System.out).run();
        } catch (IllegalStateException | EventLoopException e) {
            // the loop or the libvirt connection could not be set up: nothing ran
            System.err.println("xlbridge race: " + e.getMessage());
            return ExitCodes.ENVIRONMENT;
        }
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
        }
        return report.passed() ? ExitCodes.PASS : ExitCodes.VIOLATED;
    }
}
