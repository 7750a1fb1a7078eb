package org.xlbridge.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code virsh} against a URI, with a bounded wait; the process is killed if it overruns. */
final class Virsh {
    static final Path VIRSH = Path.of("/usr/bin/virsh");

    private Virsh() {
    }

    static boolean available() {
        return Files.isExecutable(VIRSH);
    }

    /** virsh's exit code and its stdout and stderr. */
    record Result(int exit, String out, String err) {
        Result ok() {
            if (exit != 0) {
                throw new AssertionError("virsh failed (" + exit + "): " + err + "\n" + out);
            }
            return this;
        }
    }

    static Result run(String uri, String... args) throws IOException, InterruptedException {
        Process p = start(uri, args);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("virsh " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static Process start(String uri, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(VIRSH.toString(), "-c", uri));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("LC_ALL", "C");
        pb.environment().remove("LIBVIRT_DEFAULT_URI");
        return pb.start();
    }
}
