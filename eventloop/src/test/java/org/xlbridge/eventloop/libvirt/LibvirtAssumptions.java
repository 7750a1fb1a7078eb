package org.xlbridge.eventloop.libvirt;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;
import org.xlbridge.libvirtd.PrivateLibvirtd;

/**
 * Test support for every module: call {@link #assumeLibvirt()} first in a test (or its {@code @BeforeAll})
 * that needs libvirt's loop. Without libvirt.so.0 the test is skipped, except on CI (environment variable
 * {@code CI=true}), where a missing library fails the test: CI machines must have the Debian package
 * libvirt0 installed, and a silently skipped suite proves nothing. {@link #assumeLibvirtd()} does the same
 * for tests that start a {@link PrivateLibvirtd} (Debian package libvirt-daemon).
 */
public final class LibvirtAssumptions {
    private LibvirtAssumptions() {
    }

    /** Skips (or, when {@code CI=true}, fails) the calling test if libvirt.so.0 cannot be loaded. */
    public static void assumeLibvirt() {
        assumeLibvirt(LibvirtEventLoop.isAvailable(), System.getenv("CI"));
    }

    /** The decision, with its inputs passed in so that it can be tested. */
    static void assumeLibvirt(boolean available, String ciVariable) {
        if (available) {
            return;
        }
        String why = LibvirtNative.missingLibraryMessage(LibvirtNative.LIBRARY);
        if ("true".equals(ciVariable)) {
            fail("CI=true and " + why + ": libvirt0 must be installed on CI machines");
        }
        Assumptions.abort("skipped: " + why);
    }

    /** Skips (or, when {@code CI=true}, fails) the calling test if no libvirtd binary is installed. */
    public static void assumeLibvirtd() {
        assumeLibvirtd(PrivateLibvirtd.isInstalled(), System.getenv("CI"));
    }

    /** The decision, with its inputs passed in so that it can be tested. */
    static void assumeLibvirtd(boolean installed, String ciVariable) {
        if (installed) {
            return;
        }
        String why = "libvirtd not found on PATH or in /usr/sbin: install the Debian package libvirt-daemon";
        if ("true".equals(ciVariable)) {
            fail("CI=true and " + why + " (.ci/run installs it when run as root)");
        }
        Assumptions.abort("skipped: " + why);
    }
}
