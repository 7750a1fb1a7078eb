package org.xlbridge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code xlbridge} command line: {@code race}, the main job. The benchmarks are not part of this jar: they
 * build as {@code integration/bench/target/xlbridge-bench.jar} (see {@code docs/benchmarks.md}).
 */
@Command(name = "xlbridge", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Hosts libxl-style osevent hooks inside a libvirt-style event loop, and proves it.",
                "'xlbridge help COMMAND' or 'xlbridge COMMAND --help' describes a command."},
        footer = {"", "Exit codes: 0 pass; 1 an invariant violated (the report says which); 2 usage (bad option",
                "or output path: nothing ran); 3 environment (libvirt0 or libvirtd missing, the loop could not",
                "start: nothing ran); 130 interrupted."},
        subcommands = {RaceCommand.class, HostCommand.class, SoakCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class})
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
