package org.xlbridge.libvirtd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;

/**
 * The private daemon's lifecycle without any libvirt client: a restart is a SIGKILL followed by a new daemon
 * on the same socket; close leaves nothing running and refuses a later restart; a missing binary names the
 * Debian package.
 */
class PrivateLibvirtdTest {
    private static boolean accepts(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void restartKillsTheDaemonAndStartsANewOneOnTheSameSocket() throws Exception {
        LibvirtAssumptions.assumeLibvirtd();
        PrivateLibvirtd daemon = PrivateLibvirtd.start();
        ProcessHandle first;
        try {
            first = ProcessHandle.of(daemon.pid()).orElseThrow();
            String uri = daemon.testUri();
            daemon.restart();
            assertThat(first.isAlive()).as("the first daemon was killed").isFalse();
            assertThat(daemon.pid()).isNotEqualTo(first.pid());
            assertThat(daemon.isAlive()).isTrue();
            assertThat(daemon.testUri()).as("same socket, same URI").isEqualTo(uri);
            assertThat(accepts(daemon.socket())).isTrue();
            assertThat(daemon.restarts()).isOne();
            daemon.restart();
            assertThat(daemon.restarts()).isEqualTo(2);
        } finally {
            daemon.close();
        }
        assertThat(daemon.isAlive()).as("no daemon left running").isFalse();
        assertThat(accepts(daemon.socket())).isFalse();
        assertThatThrownBy(daemon::restart).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        daemon.close(); // idempotent
    }

    @Test
    void aMissingBinaryNamesTheDebianPackage() {
        assertThatThrownBy(() -> PrivateLibvirtd.require(Optional.empty()))
                .isInstanceOf(IOException.class).hasMessageContaining("libvirt-daemon");
        assertThatThrownBy(() -> PrivateLibvirtd.start(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
