package org.xlbridge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.host.HostOptions;
import org.xlbridge.host.HostReport;
import org.xlbridge.host.HostRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code xlbridge host}: management clients on a simulated Xen host through the driver API. Exit 0 iff no violation. */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = {"A simulated Xen host of N domains (xl:///system, seeded random guests) and M management",
                "clients doing lifecycle operations through the driver API, on the chosen loop and protocol.",
                "Reports operations, lifecycle events (I9), shutdown waits, races seen and I1-I10.",
                "Exit code 0 iff no invariant was violated."})
public final class HostCommand implements Callable<Integer> {
    @Option(names = "--domains", defaultValue = "200", description = "simulated domains (default ${DEFAULT-VALUE})")
    int domains;

    @Option(names = "--clients", defaultValue = "8", description = "management clients (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--duration", defaultValue = "10s", description = "how long the clients work, e.g. 10s, 2m (default ${DEFAULT-VALUE})")
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

    @Option(names = "--json", description = "also write the report as JSON to this file")
    Path json;

    @Override
    public Integer call() throws Exception {
        HostOptions options;
        try {
            options = new HostOptions(LoopKind.parse(loop), DriverConfig.parseProtocol(protocol), domains, clients,
                    Durations.parse(duration), seed, Durations.parse(shutdownWait), maxAnswerMs);
        } catch (IllegalArgumentException e) {
            System.err.println("xlbridge host: " + e.getMessage());
            return 2;
        }
        HostReport report = new HostRunner(options, System.out).run();
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
        }
        return report.passed() ? 0 : 1;
    }
}
