package org.xlbridge.daemon;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Assumptions for the tests with real libvirt clients: without the tool the test is skipped, except under
 * {@code CI=true}, where it fails (.ci/run installs libvirt-clients and python3-libvirt; a silently skipped
 * client test proves nothing).
 */
final class Tools {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private Tools() {
    }

    static void assumeVirsh() {
        require(Files.isExecutable(Virsh.VIRSH), "virsh not installed (Debian package libvirt-clients)");
    }

    /** /usr/bin/python3 with the libvirt module (Debian package python3-libvirt). */
    static void assumePythonLibvirt() {
        boolean ok = false;
        if (Files.isExecutable(PYTHON)) {
            try {
                Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import libvirt").start();
                ok = p.waitFor() == 0;
            } catch (Exception e) {
                ok = false;
            }
        }
        require(ok, "/usr/bin/python3 cannot import libvirt (Debian package python3-libvirt)");
    }

    private static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("CI=true and " + why + ": .ci/run installs it when run as root");
        }
        Assumptions.abort("skipped: " + why);
    }
}
