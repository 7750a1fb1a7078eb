package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.EventLoopException;

/** The error a machine without libvirt gets. Needs no libvirt: it loads a library that does not exist. */
class LibvirtMissingLibraryTest {

    @Test
    void aMissingLibraryIsAnEventLoopExceptionNamingTheDebianPackage() {
        String name = "libxlbridge-no-such-library.so.0";
        assertThatThrownBy(() -> LibvirtNative.loadLibrary(name))
                .isInstanceOf(EventLoopException.class)
                .hasMessage(name + " not found: install the Debian package libvirt0")
                .hasCauseInstanceOf(UnsatisfiedLinkError.class);
    }

    @Test
    void theMessageForLibvirtItselfNamesLibvirt0() {
        assertThat(LibvirtNative.missingLibraryMessage(LibvirtNative.LIBRARY))
                .isEqualTo("libvirt.so.0 not found: install the Debian package libvirt0");
    }

    @Test
    void isAvailableNeverThrows() {
        boolean available = LibvirtEventLoop.isAvailable();
        assertThat(available).isEqualTo(LibvirtNative.isLoaded());
    }
}
