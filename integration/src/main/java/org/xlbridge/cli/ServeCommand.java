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
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        header = "Serves the xl driver over libvirt's RPC protocol to virsh, libvirt-java and libvirt-python.",
        description = {"Serves the xl driver's simulated Xen host over libvirt's RPC protocol on a unix socket,",
                "so unmodified libvirt clients manage it: virsh -c 'xen+unix:///system?socket=PATH',",
                "libvirt-java's org.libvirt.Connect, libvirt-python. Prints one line when it listens;",
                "SIGINT or SIGTERM closes the clients, the driver state and the loop, prints the report",
                "(and writes it with --json). Exit code 0 iff no invariant was violated; 1 on violations;",
                "2 usage or a socket that cannot be served; 3 when the loop could not start."})
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

    @Option(names = "--duration", paramLabel = "DURATION", description = "stop by itself after this long, e.g. 30s, 2h (default: until a signal)")
    String duration;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the report to FILE as JSON on exit")
    Path json;

    @Override
    public Integer call() throws Exception {
        ServeOptions options;
        try {
            options = new ServeOptions(socket, socketRo, LoopKind.parse(loop), DriverConfig.parseProtocol(protocol),
                    domains, guests, seed, maxAnswerMs, Durations.parse(shutdownTimeout).toMillis(),
                    duration == null ? null : Durations.parse(duration));
            OutputPaths.checkFile("--json", json);
        } catch (IllegalArgumentException e) {
            System.err.println("xlbridge serve: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        ServeRunner runner = new ServeRunner(options, System.out);
        Signal.handle(new Signal("INT"), s -> runner.stop());
        Signal.handle(new Signal("TERM"), s -> runner.stop());
        ServeReport report;
        try {
            report = runner.run();
        } catch (java.io.IOException e) {
            // the socket cannot be served (a bad path, in use): nothing ran
            System.err.println("xlbridge serve: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (IllegalStateException | org.xlbridge.eventloop.EventLoopException e) {
            System.err.println("xlbridge serve: " + e.getMessage());
            return ExitCodes.ENVIRONMENT;
        }
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
        }
        return report.passed() ? ExitCodes.PASS : ExitCodes.VIOLATED;
    }
}
