package org.xlbridge.cli;

/**
 * The exit codes of every {@code xlbridge} command, in one place (documented in docs/race.md, "Exit codes").
 * Each outcome has its own code, so a script can tell a failed proof from a typo or a missing package.
 */
public final class ExitCodes {
    /** The run completed and no invariant was violated (and, for the soak, nothing grew). */
    public static final int PASS = 0;
    /** The run completed and found a violation, a growing series or a failure: its report says which. */
    public static final int VIOLATED = 1;
    /** The command line was wrong (an unknown option, a bad value, an unwritable output path): nothing ran. */
    public static final int USAGE = 2;
    /** The machine lacks what the run needs (libvirt0, libvirtd, ...) or the loop could not start: nothing ran. */
    public static final int ENVIRONMENT = 3;
    /** Stopped by SIGINT (the shell's 128 + 2). */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
