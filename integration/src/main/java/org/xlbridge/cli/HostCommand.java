package org.xlbridge.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.host.HostOptions;
import org.xlbridge.host.HostReport;
import org.xlbridge.host.HostRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xlbridge host}: management clients on a simulated Xen host through the driver API, in-process or
 * (--over-daemon) through the daemon with libvirt-java. Exit 0 iff no violation.
 */
@Command(name = "host", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        header = "Management clients on a simulated Xen host through the driver API, checked for I1-I10.",
        description = {"A simulated Xen host of N domains (xl:///system, seeded random guests) and M management",
                "clients doing lifecycle operations through the driver API, on the chosen loop and protocol.",
                "Reports operations, lifecycle events (I9), shutdown waits, races seen and I1-I10.",
                "With --over-daemon the host is served by the daemon and reached with libvirt-java.",
                "Exit code 0 iff no invariant was violated; 1 on violations; 2 usage; 3 when the loop could not start."})
public final class HostCommand implements Callable<Integer> {
    @Option(names = "--domains", defaultValue = "200", description = "simulated domains (default ${DEFAULT-VALUE})")
    int domains;

    @Option(names = "--clients", defaultValue = "8", description = "management clients (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--duration", defaultValue = "10s", paramLabel = "DURATION",
            description = "how long the clients work, e.g. 10s, 2m, 1h (default ${DEFAULT-VALUE})")
    String duration;

    @Option(names = "--loop", defaultValue = "embedded", description = "embedded, libvirt or auto (default ${DEFAULT-VALUE})")
    String loop;

    @Option(names = "--protocol", defaultValue = "asap-modify", description = "asap-modify or legacy (default ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the guest mix and the clients (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--shutdown-wait", defaultValue = "30ms",
            description = "how long 'shutdown, wait, then destroy' waits (also libxl's shutdown/reboot timeout) (default ${DEFAULT-VALUE})")
    String shutdownWait;

    @Option(names = "--max-answer-ms", defaultValue = "40",
            description = "the random guests' longest answer delay (default ${DEFAULT-VALUE})")
    long maxAnswerMs;

    @Option(names = "--over-daemon",
            description = {"serve the host through the daemon (libvirt's RPC protocol, a socket in a temporary directory)",
                    "and run the clients and the checking connections as libvirt-java connections to",
                    "xen+unix:///system?socket=...: I9 is checked on events that crossed the wire (needs libvirt0)"})
    boolean overDaemon;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the report to FILE as JSON")
    Path json;

    @Override
    public Integer call() throws Exception {
        HostOptions options;
        try {
            requireAtLeast("--domains", domains, 1);
            requireAtLeast("--clients", clients, 1);
            if (clients > domains) {
                throw new IllegalArgumentException("--clients " + clients + ": more clients than --domains " + domains
                        + " (each client manages its own share of the domains)");
            }
            requireAtLeast("--max-answer-ms", maxAnswerMs, 1);
            Duration d = named("--duration", duration);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("--duration " + duration + ": must be positive");
            }
            named("--shutdown-wait", shutdownWait);
            OutputPaths.checkFile("--json", json);
            options = new HostOptions(LoopKind.parse(loop), DriverConfig.parseProtocol(protocol), domains, clients,
                    Durations.parse(duration), seed, Durations.parse(shutdownWait), maxAnswerMs, overDaemon);
        } catch (IllegalArgumentException e) {
            System.err.println("xlbridge host: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        HostReport report;
        try {
            report = new HostRunner(options, System.out).run();
        } catch (IllegalStateException | EventLoopException e) {
            // the loop could not be set up: nothing ran
            System.err.println("xlbridge host: " + e.getMessage());
            return ExitCodes.ENVIRONMENT;
        }
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
        }
        return report.passed() ? ExitCodes.PASS : ExitCodes.VIOLATED;
    }

    private static void requireAtLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " " + value + ": must be at least " + min);
        }
    }

    private static Duration named(String option, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }
}
