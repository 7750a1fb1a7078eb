package org.xlbridge.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.daemon.remote.RemoteDomain;
import org.xlbridge.daemon.remote.RemoteError;
import org.xlbridge.daemon.remote.RemoteProtocol;
import org.xlbridge.daemon.rpc.Header;
import org.xlbridge.daemon.xdr.XdrWriter;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The daemon with clients that misbehave, through raw frames (no libvirt needed): a client that stops
 * reading, one that goes away mid-call, a malformed frame, calls the daemon does not serve, a dead client
 * under keepalive, a daemon stopped with calls in flight. Each time the other clients lose nothing, and
 * every call is answered or its connection is closed.
 */
class DaemonRobustnessTest {
    private RunningDaemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private RunningDaemon start(java.util.function.UnaryOperator<org.xlbridge.daemon.server.DaemonConfig> tweak)
            throws Exception {
        daemon = RunningDaemon.start(new PollEventLoop(), "xl:///system?domains=2", tweak);
        return daemon;
    }

    private static byte[] registerLifecycle() {
        return new XdrWriter().writeInt(RemoteProtocol.EVENT_ID_LIFECYCLE).writeBool(false).toByteArray();
    }

    private static String xml(String name) {
        return "<domain type='xen'><name>" + name + "</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu>"
                + "<devices/></domain>";
    }

    @Test
    void pingIsAnsweredWithPongEvenBeforeOpen() throws Exception {
        start(c -> c);
        try (RawClient c = new RawClient(daemon.socket())) {
            c.sendKeepalive(RemoteProtocol.KEEPALIVE_PING);
            RawClient.Message m = c.next();
            assertThat(m.header().program()).isEqualTo(RemoteProtocol.KEEPALIVE_PROGRAM);
            assertThat(m.header().procedure()).isEqualTo(RemoteProtocol.KEEPALIVE_PONG);
            assertThat(m.header().type()).isEqualTo(Header.MESSAGE);
            assertThat(m.body()).isEmpty();
        }
    }

    @Test
    void unservedProceduresSayNoSupportUnknownOnesRpcAndTheConnectionStays() throws Exception {
        start(c -> c);
        try (RawClient c = new RawClient(daemon.socket()).open(0)) {
            for (int p : new int[] {121, 187, 426, 7, 360}) {
                RawClient.Message m = c.call(p, new byte[0]);
                assertThat(m.header().status()).isEqualTo(Header.ERROR);
                assertThat(m.error().code()).as("procedure %d", p).isEqualTo(RemoteError.NO_SUPPORT);
            }
            assertThat(c.call(100_000, null).error().code()).isEqualTo(RemoteError.RPC);
            c.sendRaw(org.xlbridge.daemon.rpc.Frames.encode(new Header(0x12345678, 1, 1, Header.CALL, 99, 0), null));
            RawClient.Message wrongProgram = c.reply(p -> { });
            assertThat(wrongProgram.header().serial()).isEqualTo(99);
            assertThat(wrongProgram.error().code()).isEqualTo(RemoteError.RPC);
            // garbage arguments: an RPC error, the connection goes on
            assertThat(c.call(23, new byte[] {0, 0, 0, 100}).error().code()).isEqualTo(RemoteError.RPC);
            assertThat(c.call(3, null).reader().readString(64)).isEqualTo("Xen");
        }
    }

    @Test
    void callsBeforeOpenAreRefusedAndTheReadOnlySocketRefusesStateChangesFirst() throws Exception {
        start(c -> c);
        try (RawClient c = new RawClient(daemon.socket())) {
            assertThat(c.call(51, null).error().message()).contains("connection not open");
        }
        try (RawClient ro = new RawClient(daemon.daemon().config().readOnlySocket()).open(0)) {
            byte[] nobody = new XdrWriter().writeString("nobody").writeUuid(UUID.randomUUID()).writeInt(-1).toByteArray();
            RawClient.Message m = ro.call(9, nobody); // DOMAIN_CREATE of a domain that does not exist
            assertThat(m.error().code()).isEqualTo(RemoteError.OPERATION_DENIED);
            assertThat(m.error().message()).contains("read only access prevents virDomainCreate");
            assertThat(ro.call(51, null).header().status()).isEqualTo(Header.OK);
        }
    }

    @Test
    void aMalformedFrameClosesThatClientOnly() throws Exception {
        start(c -> c);
        try (RawClient good = new RawClient(daemon.socket()).open(0);
             RawClient bad = new RawClient(daemon.socket())) {
            bad.sendRaw(new byte[] {0, 0, 0, 27}); // below a header's size
            assertThat(bad.next()).isNull();
            try (RawClient huge = new RawClient(daemon.socket())) {
                huge.sendRaw(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
                assertThat(huge.next()).isNull();
            }
            assertThat(good.call(51, null).header().status()).isEqualTo(Header.OK);
            assertThat(daemon.daemon().stats().badFrames()).isEqualTo(2);
        }
    }

    @Test
    void aClientThatStopsReadingIsDroppedAndAReaderGetsEveryEventInOrder() throws Exception {
        start(c -> c.withMaxQueuedMessages(64));
        int domains = 1500;
        try (RawClient reader = new RawClient(daemon.socket()).open(0);
             RawClient sleeper = new RawClient(daemon.socket()).open(0)) {
            reader.call(316, registerLifecycle());
            sleeper.call(316, registerLifecycle());
            List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread t = new Thread(() -> {
                RawClient.Message m;
                while (got.size() < 2 * domains && (m = reader.next()) != null) {
                    if (m.header().procedure() == 318) {
                        var r = m.reader();
                        r.readInt();
                        RemoteDomain d = RemoteDomain.read(r);
                        got.add(d.name() + ":" + r.readInt());
                    }
                }
            });
            t.start();
            try (Connect conn = daemon.manager().open("xl:///system")) {
                for (int i = 0; i < domains; i++) {
                    Domain d = conn.domainDefineXML(xml("flood-" + i));
                    d.undefine();
                    if ((i + 1) % 16 == 0) {
                        // A reader that reads is never more than 32 events behind (its queue holds 64): on a
                        // loaded machine an unpaced flood starved the reader thread and overflowed its queue
                        // too. The sleeper gets the whole flood regardless.
                        int want = 2 * (i + 1);
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                        while (got.size() < want && t.isAlive() && System.nanoTime() < deadline) {
                            Thread.sleep(1);
                        }
                    }
                }
            }
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(t.isAlive()).isFalse();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < domains; i++) {
                expected.add("flood-" + i + ":0"); // DEFINED
                expected.add("flood-" + i + ":1"); // UNDEFINED
            }
            assertThat(got).isEqualTo(expected);
            assertThat(daemon.daemon().stats().outputOverflowDrops()).isEqualTo(1);
            // the sleeper's connection was closed: what it reads ends
            int n = 0;
            while (sleeper.next() != null) {
                n++;
            }
            assertThat(n).isLessThan(2 * domains);
        }
    }

    @Test
    void aClientGoneMidCallLeavesTheOthersAndTheCallCompletes() throws Exception {
        start(c -> c);
        try (RawClient other = new RawClient(daemon.socket()).open(0)) {
            UUID uuid;
            try (Connect conn = daemon.manager().open("xl:///system")) {
                uuid = conn.domainLookupByName("sim-1").getUUID();
            }
            RawClient gone = new RawClient(daemon.socket()).open(0);
            gone.send(9, new XdrWriter().writeString("sim-1").writeUuid(uuid).writeInt(-1).toByteArray());
            gone.close(); // before the reply
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (daemon.daemon().clientCount() > 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(daemon.daemon().clientCount()).isEqualTo(1);
            assertThat(other.call(51, null).reader().readInt()).isBetween(0, 1);
        }
    }

    @Test
    void theDaemonPingsAnIdleClientAndDropsADeadOneButNotOneThatAnswers() throws Exception {
        start(c -> c.withKeepalive(Duration.ofMillis(100), 2));
        try (RawClient dead = new RawClient(daemon.socket()); RawClient alive = new RawClient(daemon.socket())) {
            dead.call(60, new XdrWriter().writeInt(RemoteProtocol.FEATURE_PROGRAM_KEEPALIVE).toByteArray());
            alive.call(60, new XdrWriter().writeInt(RemoteProtocol.FEATURE_PROGRAM_KEEPALIVE).toByteArray());
            Thread answerer = new Thread(() -> {
                RawClient.Message m;
                int pongs = 0;
                while (pongs < 6 && (m = alive.next()) != null) {
                    if (m.header().procedure() == RemoteProtocol.KEEPALIVE_PING) {
                        alive.sendKeepalive(RemoteProtocol.KEEPALIVE_PONG);
                        pongs++;
                    }
                }
            });
            answerer.start();
            int pings = 0;
            RawClient.Message m;
            while ((m = dead.next()) != null) {
                assertThat(m.header().program()).isEqualTo(RemoteProtocol.KEEPALIVE_PROGRAM);
                pings++;
            }
            assertThat(pings).isEqualTo(2);
            answerer.join(20_000);
            assertThat(answerer.isAlive()).isFalse();
            assertThat(alive.call(66, null).header().status()).isEqualTo(Header.OK); // still connected
            assertThat(daemon.daemon().stats().keepaliveDrops()).isEqualTo(1);
        }
    }

    @Test
    void aDaemonStoppedWithCallsInFlightAnswersThemOrClosesTheConnection() throws Exception {
        start(c -> c);
        RawClient c = new RawClient(daemon.socket()).open(0);
        try {
            Set<Integer> sent = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                sent.add(c.send(273, new XdrWriter().writeInt(1).writeInt(0).toByteArray()));
            }
            daemon.daemon().stop(10_000);
            Set<Integer> answered = new HashSet<>();
            RawClient.Message m;
            while ((m = c.next()) != null) {
                assertThat(m.header().status()).isEqualTo(Header.OK);
                assertThat(answered.add(m.header().serial())).isTrue();
            }
            assertThat(sent).containsAll(answered);
            assertThat(daemon.daemon().clientCount()).isZero();
            assertThat(daemon.socket()).doesNotExist();
        } finally {
            c.close();
        }
    }

    @Test
    void theOlderRegistrationsGetLifecycleMessagesWithoutCallbackIds() throws Exception {
        start(c -> c);
        try (RawClient c = new RawClient(daemon.socket()).open(0)) {
            RawClient.Message reg = c.call(105, null); // DOMAIN_EVENTS_REGISTER
            assertThat(reg.reader().readInt()).isEqualTo(1); // cb_registered
            assertThat(c.call(105, null).header().status()).isEqualTo(Header.ERROR); // twice: refused
            try (Connect conn = daemon.manager().open("xl:///system")) {
                conn.domainDefineXML(xml("old-style")).undefine();
            }
            List<String> got = new ArrayList<>();
            while (got.size() < 2) {
                RawClient.Message m = c.next();
                assertThat(m).isNotNull();
                assertThat(m.header().procedure()).isEqualTo(107); // DOMAIN_EVENT_LIFECYCLE
                var r = m.reader();
                RemoteDomain d = RemoteDomain.read(r);
                got.add(d.name() + ":" + r.readInt() + "/" + r.readInt());
                r.expectEnd();
            }
            assertThat(got).containsExactly("old-style:0/0", "old-style:1/0");
            assertThat(c.call(106, null).reader().readInt()).isZero(); // DOMAIN_EVENTS_DEREGISTER
            // the _ANY form of the same (167/168) by event id
            assertThat(c.call(167, new XdrWriter().writeInt(0).toByteArray()).header().status()).isEqualTo(Header.OK);
            assertThat(c.call(168, new XdrWriter().writeInt(0).toByteArray()).header().status()).isEqualTo(Header.OK);
            assertThat(c.call(168, new XdrWriter().writeInt(0).toByteArray()).header().status()).isEqualTo(Header.ERROR);
        }
    }
}
