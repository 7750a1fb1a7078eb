package org.xlbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's own rules: exit codes, output paths checked before a run, durations, help, version. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CommandLineTest {
    @TempDir
    Path dir;

    /** Runs xlbridge with args; returns the exit code and what went to stderr. */
    private record Run(int exit, String err, String out) {
    }

    private static Run run(String... args) {
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter picoOut = new StringWriter();
        StringWriter picoErr = new StringWriter();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = new CommandLine(new XlbridgeMain());
            cl.setOut(new PrintWriter(picoOut));
            cl.setErr(new PrintWriter(picoErr));
            int exit = cl.execute(args);
            return new Run(exit, err.toString(StandardCharsets.UTF_8) + picoErr,
                    out.toString(StandardCharsets.UTF_8) + picoOut);
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
    }

    // An unwritable --json must stop a run of an hour before it starts: the class timeout fails the test
    // if the job runs.
    @Test
    void jsonInAMissingDirectoryIsAUsageErrorBeforeTheRun() {
        String json = dir.resolve("no/such/dir/r.json").toString();
        for (String[] args : new String[][] {
                {"race", "--duration", "1h", "--json", json},
                {"host", "--duration", "1h", "--json", json},
                {"soak", "--duration", "1h", "--libvirt", "none", "--json", json}}) {
            Run r = run(args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).contains("--json").contains("does not exist").doesNotContain("Exception");
        }
    }

    @Test
    void jsonThatIsADirectoryIsRefused() {
        Run r = run("race", "--duration", "1h", "--json", dir.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--json").contains("is a directory");
    }

    @Test
    void plotsThatCannotBeCreatedAreRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Run r = run("soak", "--duration", "1h", "--libvirt", "none", "--plots", file.resolve("plots").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--plots");
    }

    @Test
    void raceRefusesTheXlDriverAsALibvirtUri() {
        Run r = run("race", "--duration", "1h", "--libvirt-uri", "xl:///system");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--libvirt-uri xl:///system").contains("xlbridge host");
    }

    // --libvirt none used to stop with "the libvirtd-restart fault needs --libvirt daemon": it implies it off.
    @Test
    void soakWithoutLibvirtImpliesNoLibvirtdRestart() {
        SoakCommand soak = new SoakCommand();
        new CommandLine(soak).parseArgs("--libvirt", "none", "--plots", "none");
        org.xlbridge.soak.SoakOptions options = soak.options();
        assertThat(options.faults().enabled(org.xlbridge.soak.FaultKind.LIBVIRTD_RESTART)).isFalse();
        assertThat(options.faults().enabled(org.xlbridge.soak.FaultKind.REG_FAIL)).as("the other defaults stay").isTrue();
        Run explicit = run("soak", "--duration", "1h", "--libvirt", "none", "--faults", "libvirtd-restart=30");
        assertThat(explicit.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(explicit.err()).contains("libvirtd-restart");
    }

    @Test
    void soakRefusesNegativeOperations() {
        Run r = run("soak", "--operations", "-1", "--libvirt", "none");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--operations -1");
    }

    @Test
    void hostNamesTheOptionAndTheValue() {
        assertThat(run("host", "--domains", "0").err()).contains("--domains 0");
        assertThat(run("host", "--clients", "0").err()).contains("--clients 0");
        assertThat(run("host", "--domains", "4", "--clients", "5").err()).contains("--clients 5").contains("--domains 4");
        assertThat(run("host", "--max-answer-ms", "0").err()).contains("--max-answer-ms 0");
        Run r = run("host", "--duration", "0s");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--duration 0s");
        assertThat(run("host", "--shutdown-wait", "soon").err()).contains("--shutdown-wait").contains("soon");
    }

    @Test
    void durationsTakeUnitsUpToHoursAndRefuseBareNumbers() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("3h")).isEqualTo(Duration.ofHours(3));
        assertThat(Durations.parse("PT20S")).isEqualTo(Duration.ofSeconds(20));
        assertThatThrownBy(() -> Durations.parse("20")).hasMessageContaining("no unit").hasMessageContaining("20s");
        assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("1h");
        assertThat(run("race", "--duration", "20").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void helpSubcommandAndTopLevelHelpShowWholeSentences() {
        Run top = run("--help");
        assertThat(top.exit()).isZero();
        // each command's one-line header, not the first line of a longer description cut mid-sentence
        assertThat(top.out()).contains("Management clients on a simulated Xen host through the driver API")
                .contains("Exit codes: 0 pass; 1");
        Run help = run("help", "soak");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--operations").contains("DURATION");
    }

    @Test
    void versionNamesTheArtifactVersionAndCommit() {
        Run r = run("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).matches("(?s)xlbridge \\S+ \\(commit \\S+\\)\\s*");
        assertThat(r.out()).doesNotContain("${");
        assertThat(VersionProvider.version()).isNotEqualTo("unknown"); // the build filtered the resource
        if (Files.exists(Path.of("..", ".git"))) { // built from a git checkout: the commit is known
            assertThat(VersionProvider.commit()).isNotEqualTo("unknown").matches("[0-9a-f]{7,}(-dirty)?|.+-g[0-9a-f]{7,}(-dirty)?");
        }
    }
}
