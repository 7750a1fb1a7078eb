package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The skip-or-fail decision of {@link LibvirtAssumptions}, with its inputs given. */
class LibvirtAssumptionsTest {

    @Test
    void availableLibvirtLetsTheTestRun() {
        assertThatCode(() -> LibvirtAssumptions.assumeLibvirt(true, "true")).doesNotThrowAnyException();
        assertThatCode(() -> LibvirtAssumptions.assumeLibvirt(true, null)).doesNotThrowAnyException();
    }

    @Test
    void missingLibvirtSkipsOutsideCi() {
        assertThatThrownBy(() -> LibvirtAssumptions.assumeLibvirt(false, null))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("libvirt0");
        assertThatThrownBy(() -> LibvirtAssumptions.assumeLibvirt(false, "false"))
                .isInstanceOf(TestAbortedException.class);
    }

    @Test
    void missingLibvirtFailsOnCi() {
        assertThatThrownBy(() -> LibvirtAssumptions.assumeLibvirt(false, "true"))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("libvirt0 must be installed");
    }

    @Test
    void installedLibvirtdLetsTheTestRun() {
        assertThatCode(() -> LibvirtAssumptions.assumeLibvirtd(true, "true")).doesNotThrowAnyException();
        assertThatCode(() -> LibvirtAssumptions.assumeLibvirtd(true, null)).doesNotThrowAnyException();
    }

    @Test
    void missingLibvirtdSkipsOutsideCi() {
        assertThatThrownBy(() -> LibvirtAssumptions.assumeLibvirtd(false, null))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("libvirt-daemon");
        assertThatThrownBy(() -> LibvirtAssumptions.assumeLibvirtd(false, "false"))
                .isInstanceOf(TestAbortedException.class);
    }

    @Test
    void missingLibvirtdFailsOnCi() {
        assertThatThrownBy(() -> LibvirtAssumptions.assumeLibvirtd(false, "true"))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("libvirt-daemon");
    }
}
