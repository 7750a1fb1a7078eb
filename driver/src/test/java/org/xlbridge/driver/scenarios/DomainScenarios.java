package org.xlbridge.driver.scenarios;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEventType;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DiskDefinition;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DomainInfo;
import org.xlbridge.driver.api.DomainXml;
import org.xlbridge.driver.api.Domains;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.ShutdownResult;

/**
 * The management scenarios every driver runs, written once against the driver API: a subclass opens a
 * connection to its URI ({@code test:///default}, {@code xl:///system}) on a running loop and says, in a
 * documented method, where its hypervisor legitimately behaves differently.
 *
 * <p>Every scenario also checks SPEC I9 for its domain: the exact lifecycle events, in order, each once
 * (a final marker domain's event proves that nothing more is in flight), on the loop thread.
 */
public abstract class DomainScenarios {
    private Connect conn;
    private EventRecorder events;
    private int seq;

    /** Opens a new connection for one test, on a loop that is running. */
    protected abstract Connect open();

    /** The thread the connection's events run on. */
    protected abstract Thread loopThread();

    /** The {@code <domain type=...>} of the driver ({@code test}, {@code xen}). */
    protected abstract String domainType();

    /**
     * What {@link Domains#shutdownOrDestroy} returns for a guest that was defined by
     * {@link #ignoringGuestXml}. A driver that can simulate a guest ignoring the request answers
     * {@code DESTROYED_AFTER_TIMEOUT}.
     */
    protected abstract ShutdownResult expectedResultForIgnoringGuest();

    /** The events a reboot of a running domain causes, as "TYPE/DETAIL" strings. */
    protected abstract List<String> expectedRebootEvents();

    /**
     * The error number of an operation called in the wrong state (suspend, destroy or shutdown of an
     * inactive domain, create of a running one, resume of one not paused). libvirt's hypervisor drivers
     * answer {@code VIR_ERR_OPERATION_INVALID}; a driver that differs overrides this and says why. Null: the
     * call succeeds and changes nothing (libvirt's libxl driver resumes a running domain so).
     */
    protected ErrorNumber wrongStateError(String operation) {
        return ErrorNumber.VIR_ERR_OPERATION_INVALID;
    }

    /** The events a guest-answered shutdown causes between STARTED and UNDEFINED. */
    protected List<String> expectedShutdownEvents() {
        return List.of("STOPPED/SHUTDOWN");
    }

    /** Whether disk hot-plug is supported by the driver. */
    protected abstract boolean supportsDiskHotplug();

    /** Domain XML for a guest that answers a shutdown request. */
    protected String domainXml(String name, UUID uuid) {
        return "<domain type='" + domainType() + "'><name>" + name + "</name><uuid>" + uuid + "</uuid>"
                + "<memory unit='MiB'>256</memory><vcpu>2</vcpu><os><type>hvm</type></os>"
                + "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>"
                + "<devices><disk type='file' device='disk'><source file='/var/lib/xlbridge/" + name + ".img'/>"
                + "<target dev='xvda'/></disk></devices></domain>";
    }

    /** Domain XML for a guest that ignores a shutdown request, where the driver can simulate one. */
    protected String ignoringGuestXml(String name, UUID uuid) {
        return domainXml(name, uuid);
    }

    protected final Connect conn() {
        return conn;
    }

    @BeforeEach
    void openConnection() {
        conn = open();
        events = new EventRecorder();
        conn.addLifecycleListener(events);
    }

    @AfterEach
    void closeConnection() {
        if (conn != null) {
            conn.close();
        }
    }

    private String uniqueName(String what) {
        return "xlb-" + what + "-" + (++seq) + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /** Defines a marker domain, undefines it, waits for its UNDEFINED event: every earlier event is in. */
    private void drainEvents() {
        String marker = uniqueName("marker");
        Domain m = conn.domainDefineXML(domainXml(marker, UUID.randomUUID()));
        m.undefine();
        events.awaitType(marker, DomainEventType.UNDEFINED);
    }

    private void assertEventsExactly(String name, String... expected) {
        drainEvents();
        assertThat(events.names(name)).as("lifecycle events of " + name).containsExactly(expected);
        assertThat(events.all()).as("events run on the loop thread")
                .allSatisfy(s -> assertThat(s.thread()).isSameAs(loopThread()));
    }

    private static void assertError(Runnable r, ErrorNumber n) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).as(e.getMessage()).isEqualTo(n));
    }

    private void assertWrongState(Runnable r, String operation) {
        ErrorNumber n = wrongStateError(operation);
        if (n == null) {
            r.run(); // the driver answers this one with "nothing to do"
        } else {
            assertError(r, n);
        }
    }

    private Domain defineNew(String name) {
        return conn.domainDefineXML(domainXml(name, UUID.randomUUID()));
    }

    @Test
    void defineLookupInfoUndefine() {
        String name = uniqueName("define");
        UUID uuid = UUID.randomUUID();
        Domain d = conn.domainDefineXML(domainXml(name, uuid));
        assertThat(d.getName()).isEqualTo(name);
        assertThat(d.getUUID()).isEqualTo(uuid);
        assertThat(d.getID()).isEqualTo(-1);
        assertThat(d.isActive()).isFalse();
        assertThat(conn.listDefinedDomains()).contains(name);
        assertThat(conn.domainLookupByName(name).getUUID()).isEqualTo(uuid);
        assertThat(conn.domainLookupByUUID(uuid).getName()).isEqualTo(name);
        DomainInfo info = d.getInfo();
        assertThat(info.state()).isEqualTo(DomainState.VIR_DOMAIN_SHUTOFF);
        assertThat(info.maxMemKiB()).isEqualTo(256 * 1024);
        assertThat(info.nrVirtCpu()).isEqualTo(2);
        assertThat(DomainXml.parse(d.getXMLDesc()).name()).isEqualTo(name);

        d.undefine();
        assertError(() -> conn.domainLookupByName(name), ErrorNumber.VIR_ERR_NO_DOMAIN);
        assertError(() -> conn.domainLookupByUUID(uuid), ErrorNumber.VIR_ERR_NO_DOMAIN);
        assertThat(conn.listDefinedDomains()).doesNotContain(name);
        assertEventsExactly(name, "DEFINED/ADDED", "UNDEFINED/REMOVED");
    }

    @Test
    void startSuspendResumeDestroy() {
        String name = uniqueName("life");
        Domain d = defineNew(name);
        d.create();
        assertThat(d.isActive()).isTrue();
        int id = d.getID();
        assertThat(id).isPositive();
        assertThat(Arrays.stream(conn.listDomains()).boxed().toList()).contains(id);
        assertThat(conn.domainLookupByID(id).getName()).isEqualTo(name);
        assertThat(conn.listDefinedDomains()).doesNotContain(name);
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_RUNNING);

        d.suspend();
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_PAUSED);
        d.resume();
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_RUNNING);
        d.destroy();
        assertThat(d.isActive()).isFalse();
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_SHUTOFF);
        assertError(() -> conn.domainLookupByID(id), ErrorNumber.VIR_ERR_NO_DOMAIN);
        d.undefine();
        assertEventsExactly(name, "DEFINED/ADDED", "STARTED/BOOTED", "SUSPENDED/PAUSED", "RESUMED/UNPAUSED",
                "STOPPED/DESTROYED", "UNDEFINED/REMOVED");
    }

    @Test
    void shutdownAnsweredByTheGuest() {
        String name = uniqueName("shutdown");
        Domain d = defineNew(name);
        d.create();
        assertThat(Domains.shutdownOrDestroy(conn, d, Duration.ofSeconds(5))).isEqualTo(ShutdownResult.BY_GUEST);
        assertThat(d.isActive()).isFalse();
        d.undefine();
        List<String> expected = new java.util.ArrayList<>(List.of("DEFINED/ADDED", "STARTED/BOOTED"));
        expected.addAll(expectedShutdownEvents());
        expected.add("UNDEFINED/REMOVED");
        assertEventsExactly(name, expected.toArray(String[]::new));
    }

    @Test
    void shutdownIgnoredByTheGuestEndsInDestroy() {
        String name = uniqueName("ignore");
        Domain d = conn.domainDefineXML(ignoringGuestXml(name, UUID.randomUUID()));
        d.create();
        ShutdownResult r = Domains.shutdownOrDestroy(conn, d, Duration.ofMillis(300));
        assertThat(r).isEqualTo(expectedResultForIgnoringGuest());
        assertThat(d.isActive()).isFalse();
        d.undefine();
        String stop = r == ShutdownResult.BY_GUEST ? "STOPPED/SHUTDOWN" : "STOPPED/DESTROYED";
        drainEvents();
        assertThat(events.names(name)).contains(stop).startsWith("DEFINED/ADDED", "STARTED/BOOTED")
                .endsWith(stop, "UNDEFINED/REMOVED");
    }

    @Test
    void rebootKeepsTheDomainRunning() {
        String name = uniqueName("reboot");
        Domain d = defineNew(name);
        d.create();
        d.reboot();
        List<String> reboot = expectedRebootEvents();
        if (!reboot.isEmpty()) {
            events.awaitCount(name, 2 + reboot.size());
        }
        assertThat(d.isActive()).isTrue();
        d.destroy();
        d.undefine();
        String[] expected = new String[4 + reboot.size()];
        expected[0] = "DEFINED/ADDED";
        expected[1] = "STARTED/BOOTED";
        for (int i = 0; i < reboot.size(); i++) {
            expected[2 + i] = reboot.get(i);
        }
        expected[2 + reboot.size()] = "STOPPED/DESTROYED";
        expected[3 + reboot.size()] = "UNDEFINED/REMOVED";
        assertEventsExactly(name, expected);
    }

    @Test
    void attachAndDetachADisk() {
        String name = uniqueName("disk");
        Domain d = defineNew(name);
        d.create();
        String disk = DiskDefinition.file("/var/lib/xlbridge/" + name + "-data.img", "xvdb").toXml();
        if (!supportsDiskHotplug()) {
            assertError(() -> d.attachDevice(disk), ErrorNumber.VIR_ERR_NO_SUPPORT);
        } else {
            d.attachDevice(disk);
            assertThat(DomainXml.parse(d.getXMLDesc()).disks()).extracting(x -> x.targetDev()).contains("xvdb");
            d.detachDevice(disk);
            assertThat(DomainXml.parse(d.getXMLDesc()).disks()).extracting(x -> x.targetDev())
                    .doesNotContain("xvdb");
        }
        d.destroy();
        d.undefine();
        assertEventsExactly(name, "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/DESTROYED", "UNDEFINED/REMOVED");
    }

    @Test
    void wrongStatesAndUnknownNamesAreLibvirtErrors() {
        String name = uniqueName("bad");
        Domain d = defineNew(name);
        assertWrongState(() -> d.suspend(), "suspend");
        assertWrongState(() -> d.destroy(), "destroy");
        assertWrongState(() -> d.shutdown(), "shutdown");
        d.create();
        assertWrongState(() -> d.create(), "create");
        assertWrongState(() -> d.resume(), "resume");
        assertThat(d.getInfo().state()).isEqualTo(DomainState.VIR_DOMAIN_RUNNING);
        d.destroy();
        d.undefine();
        assertError(() -> conn.domainLookupByName("xlb-no-such-domain"), ErrorNumber.VIR_ERR_NO_DOMAIN);
        assertError(() -> conn.domainLookupByUUID(UUID.randomUUID()), ErrorNumber.VIR_ERR_NO_DOMAIN);
        assertError(() -> conn.domainLookupByID(999_999), ErrorNumber.VIR_ERR_NO_DOMAIN);
        // libvirt: a document that is not well-formed is VIR_ERR_XML_DETAIL, an invalid definition XML_ERROR.
        assertError(() -> conn.domainDefineXML("<domain type='" + domainType() + "'><name>x</name>"),
                ErrorNumber.VIR_ERR_XML_DETAIL);
        assertError(() -> conn.domainDefineXML("<domain type='" + domainType() + "'><name>x</name>"
                + "<memory>lots</memory><os><type>hvm</type></os></domain>"), ErrorNumber.VIR_ERR_XML_ERROR);
        assertError(() -> conn.domainDefineXML("<domain type='" + domainType() + "'><memory>1024</memory>"
                + "<os><type>hvm</type></os></domain>"), ErrorNumber.VIR_ERR_NO_NAME);
        assertEventsExactly(name, "DEFINED/ADDED", "STARTED/BOOTED", "STOPPED/DESTROYED", "UNDEFINED/REMOVED");
    }

    @Test
    void aRemovedListenerGetsNothingMore() {
        EventRecorder late = new EventRecorder();
        conn.addLifecycleListener(late);
        String name = uniqueName("remove");
        defineNew(name);
        events.awaitType(name, DomainEventType.DEFINED);
        late.awaitType(name, DomainEventType.DEFINED);
        conn.removeLifecycleListener(late);
        conn.domainLookupByName(name).undefine();
        assertEventsExactly(name, "DEFINED/ADDED", "UNDEFINED/REMOVED");
        assertThat(late.names(name)).containsExactly("DEFINED/ADDED");
        assertError(() -> conn.removeLifecycleListener(late), ErrorNumber.VIR_ERR_INVALID_ARG);
    }

    @Test
    void aClosedConnectionRefusesCalls() {
        Connect other = open();
        other.close();
        assertThat(other.isOpen()).isFalse();
        assertError(() -> other.listDomains(), ErrorNumber.VIR_ERR_INVALID_CONN);
        assertError(() -> other.domainLookupByName("x"), ErrorNumber.VIR_ERR_INVALID_CONN);
        other.close(); // idempotent
    }
}
