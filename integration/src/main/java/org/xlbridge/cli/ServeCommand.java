package org.xlbridge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.serve.ServeOptions;
import org.xlbridge.serve.ServeReport;
import org.xlbridge.serve.ServeRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code xlbridge serve}: the xl driver served over libvirt's RPC protocol. Exit 0 iff no violation. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serves the xl driver's simulated Xen host over libvirt's RPC protocol on a unix socket,",
                "so unmodified libvirt clients manage it: virsh -c 'xen+unix:///system?socket=PATH',",
                "libvirt-java's org.libvirt.Connect, libvirt-python. Prints one line when it listens;",
                "SIGINT or SIGTERM closes the clients, the driver state and the loop, prints the report",
                "(and writes it with --json). Exit code 0 iff no invariant was violated; 2 when it could",
                "not start."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--socket", required = true, description = "the read-write socket's path (mode 0600)")
    Path socket;

    @Option(names = "--socket-ro", description = "a read-only socket's path (mode 0666): state changes are refused")
    Path socketRo;

    @Option(names = "--domains", defaultValue = "4", description = "simulated domains sim-1..sim-N, defined (default ${DEFAULT-VALUE})")
    int domains;

    @Option(names = "--guests", defaultValue = "cooperative",
            description = "cooperative, random, random-responsive or unresponsive (default ${DEFAULT-VALUE})")
    String guests;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random guest mix (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--max-answer-ms", defaultValue = "50", description = "the random guests' longest answer delay (default ${DEFAULT-VALUE})")
    long maxAnswerMs;

    @Option(names = "--shutdown-timeout", defaultValue = "10s",
            description = "how long libxl's shutdown and reboot operations wait for the guest (default ${DEFAULT-VALUE})")
    String shutdownTimeout;

    @Option(names = "--loop", defaultValue = "embedded", description = "embedded, libvirt or auto (default ${DEFAULT-VALUE})")
    String loop;

    @Option(names = "--protocol", defaultValue = "asap-modify", description = "asap-modify or legacy (default ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--duration", description = "stop by itself after this long, e.g. 30s (default: until a signal)")
    String duration;

    @Option(names = "--json", description = "also write the report as JSON to this file on exit")
    Path json;

    @Override
    public Integer call() throws Exception {
        ServeOptions options;
        try {
            options = new ServeOptions(socket, socketRo, LoopKind.parse(loop), DriverConfig.parseProtocol(protocol),
                    domains, guests, seed, maxAnswerMs, Durations.parse(shutdownTimeout).toMillis(),
                    duration == null ? null : Durations.parse(duration));
        } catch (IllegalArgumentException e) {
            System.err.println("xlbridge serve: " + e.getMessage());
            return 2;
        }
        ServeRunner runner = new ServeRunner(options, System.out);
        Signal.handle(new Signal("INT"), s -> runner.stop());
        Signal.handle(new Signal("TERM"), s -> runner.stop());
        ServeReport report;
        try {
            report = runner.run();
        } catch (java.io.IOException e) {
            System.err.println("xlbridge serve: " + e.getMessage());
            return 2;
        }
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
        }
        return report.passed() ? 0 : 1;
    }
}
