package org.xlbridge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code xlbridge} command line: {@code race}, the main job. The benchmarks are not part of this jar: they
 * build as {@code integration/bench/target/xlbridge-bench.jar} (see {@code docs/benchmarks.md}).
 */
@Command(name = "xlbridge", mixinStandardHelpOptions = true, version = "xlbridge 0.1.0",
        description = "Hosts libxl-style osevent hooks inside a libvirt-style event loop, and proves it.",
        subcommands = {RaceCommand.class, HostCommand.class, SoakCommand.class, ServeCommand.class})
public final class XlbridgeMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new XlbridgeMain()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
