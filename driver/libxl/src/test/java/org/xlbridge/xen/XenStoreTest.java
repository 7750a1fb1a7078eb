package org.xlbridge.xen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;

/** The simulated xenstore: tree, watches, and notifications on a real fd. */
class XenStoreTest {

    /** Waits (bounded) for the connection's fd to be readable, then drains it. */
    private static List<XsWatchEvent> drain(XsConnection c) throws InterruptedException {
        assertThat(c.awaitFlushed(5_000)).isTrue();
        List<XsWatchEvent> out = new ArrayList<>();
        try (PollFds p = new PollFds(1)) {
            p.set(0, c.fd(), Posix.POLLIN);
            while (p.poll(1, 0) > 0 && (p.revents(0) & Posix.POLLIN) != 0) {
                List<XsWatchEvent> got = c.readWatchEvents();
                if (got.isEmpty()) {
                    break;
                }
                out.addAll(got);
            }
        }
        return out;
    }

    @Test
    void aWatchFiresWhenSetOnWritesAtOrBelowItAndOnRemovalOfAnAncestor() throws Exception {
        XenStore s = new XenStore();
        try (XsConnection c = s.connect("t")) {
            assertThat(Posix.pollNow(c.fd(), Posix.POLLIN)).as("nothing to read yet").isZero();
            c.watch("/a/b", "tok");
            assertThat(drain(c)).containsExactly(new XsWatchEvent("/a/b", "tok"));
            s.write("/a/b/c", "1");
            s.write("/a/x", "2"); // not covered
            s.write("/a/b", "3");
            assertThat(drain(c)).containsExactly(new XsWatchEvent("/a/b/c", "tok"), new XsWatchEvent("/a/b", "tok"));
            assertThat(s.read("/a")).as("parents are created").isEqualTo("");
            assertThat(s.directory("/a")).containsExactlyInAnyOrder("b", "x");
            s.rm("/a");
            assertThat(drain(c)).containsExactly(new XsWatchEvent("/a/b", "tok"));
            assertThat(s.read("/a/b/c")).isNull();
            assertThat(c.unwatch("/a/b", "tok")).isTrue();
            s.write("/a/b", "again");
            assertThat(drain(c)).isEmpty();
            assertThat(s.watchCount()).isZero();
        }
    }

    @Test
    void specialPathsFireOnlyWhenTheHostSaysSo() throws Exception {
        XenStore s = new XenStore();
        try (XsConnection c = s.connect("t")) {
            c.watch("@releaseDomain", "r");
            assertThat(drain(c)).hasSize(1);
            s.write("/local/domain/1/name", "x");
            assertThat(drain(c)).isEmpty();
            s.fireSpecial("@releaseDomain");
            assertThat(drain(c)).containsExactly(new XsWatchEvent("@releaseDomain", "r"));
        }
    }

    @Test
    void badPathsAndTokensAreRefused() {
        XenStore s = new XenStore();
        try (XsConnection c = s.connect("t")) {
            assertThatThrownBy(() -> s.write("relative", "v")).isInstanceOf(XenException.class)
                    .hasMessageContaining("must be absolute");
            assertThatThrownBy(() -> s.write("/a//b", "v")).hasMessageContaining("malformed");
            assertThatThrownBy(() -> s.write("@releaseDomain", "v")).hasMessageContaining("special path");
            assertThatThrownBy(() -> c.watch("/a", "with space")).hasMessageContaining("printable");
            c.watch("/a", "t1");
            assertThatThrownBy(() -> c.watch("/a", "t1")).hasMessageContaining("already set");
            assertThat(s.watchCount()).isEqualTo(1);
        }
    }

    @Test
    void whenTheWriterDiesTheFdReadsEofAndTheConnectionRefusesRequests() throws Exception {
        XenStore s = new XenStore();
        try (XsConnection c = s.connect("t")) {
            c.watch("/a", "t");
            drain(c);
            c.killWriter();
            assertThat(Posix.pollNow(c.fd(), Posix.POLLIN) & (Posix.POLLIN | Posix.POLLHUP)).isNotZero();
            assertThatThrownBy(c::readWatchEvents).isInstanceOfSatisfying(XenException.class,
                    e -> assertThat(e.kind()).isEqualTo(XenException.Kind.CONNECTION_LOST))
                    .hasMessageContaining("writer is gone");
            assertThatThrownBy(() -> c.read("/a")).hasMessageContaining("writer is gone");
            assertThat(c.isBroken()).isTrue();
        }
        assertThat(s.watchCount()).as("close removed the connection's watches").isZero();
    }

    @Test
    void aReaderThatFallsBehindLosesNothing() throws Exception {
        XenStore s = new XenStore();
        try (XsConnection c = s.connect("t")) {
            c.watch("/n", "t");
            for (int i = 0; i < 20_000; i++) { // far more than a pipe buffer holds
                s.write("/n/" + (i % 100), Integer.toString(i));
            }
            int n = 0;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (n < 20_001 && System.nanoTime() < deadline) {
                n += c.readWatchEvents().size();
            }
            assertThat(n).isEqualTo(20_001);
        }
    }
}
