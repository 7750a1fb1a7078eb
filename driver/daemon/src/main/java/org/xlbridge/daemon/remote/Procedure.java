package org.xlbridge.daemon.remote;

import java.util.HashMap;
import java.util.Map;

/**
 * The procedures of libvirt's remote program ({@code src/remote/remote_protocol.x}) this daemon knows by
 * name: those it serves, the event messages it sends, and those it answers {@code VIR_ERR_NO_SUPPORT}
 * on purpose. Each says where it runs ({@link Runs#LOOP}: answered at once on the loop thread;
 * {@link Runs#WORKER}: a driver call, on the bounded worker pool) and, when it changes state, the libvirt
 * API named in the read-only refusal. The numbers are libvirt's wire ABI.
 */
public enum Procedure {
    CONNECT_OPEN(1, Runs.WORKER, null),
    CONNECT_CLOSE(2, Runs.WORKER, null),
    CONNECT_GET_TYPE(3, Runs.LOOP, null),
    CONNECT_GET_VERSION(4, Runs.LOOP, null),
    NODE_GET_INFO(6, Runs.LOOP, null),
    DOMAIN_ATTACH_DEVICE(8, Runs.WORKER, "virDomainAttachDevice"),
    DOMAIN_CREATE(9, Runs.WORKER, "virDomainCreate"),
    DOMAIN_DEFINE_XML(11, Runs.WORKER, "virDomainDefineXML"),
    DOMAIN_DESTROY(12, Runs.WORKER, "virDomainDestroy"),
    DOMAIN_DETACH_DEVICE(13, Runs.WORKER, "virDomainDetachDevice"),
    DOMAIN_GET_XML_DESC(14, Runs.WORKER, null),
    DOMAIN_GET_AUTOSTART(15, Runs.WORKER, null),
    DOMAIN_GET_INFO(16, Runs.WORKER, null),
    DOMAIN_GET_OS_TYPE(19, Runs.WORKER, null),
    CONNECT_LIST_DEFINED_DOMAINS(21, Runs.WORKER, null),
    DOMAIN_LOOKUP_BY_ID(22, Runs.WORKER, null),
    DOMAIN_LOOKUP_BY_NAME(23, Runs.WORKER, null),
    DOMAIN_LOOKUP_BY_UUID(24, Runs.WORKER, null),
    CONNECT_NUM_OF_DEFINED_DOMAINS(25, Runs.WORKER, null),
    DOMAIN_REBOOT(27, Runs.WORKER, "virDomainReboot"),
    DOMAIN_RESUME(28, Runs.WORKER, "virDomainResume"),
    DOMAIN_SHUTDOWN(33, Runs.WORKER, "virDomainShutdown"),
    DOMAIN_SUSPEND(34, Runs.WORKER, "virDomainSuspend"),
    DOMAIN_UNDEFINE(35, Runs.WORKER, "virDomainUndefine"),
    CONNECT_LIST_DOMAINS(37, Runs.WORKER, null),
    CONNECT_NUM_OF_DOMAINS(51, Runs.WORKER, null),
    CONNECT_GET_HOSTNAME(59, Runs.LOOP, null),
    CONNECT_SUPPORTS_FEATURE(60, Runs.LOOP, null),
    AUTH_LIST(66, Runs.LOOP, null),
    CONNECT_DOMAIN_EVENT_REGISTER(105, Runs.LOOP, null),
    CONNECT_DOMAIN_EVENT_DEREGISTER(106, Runs.LOOP, null),
    DOMAIN_EVENT_LIFECYCLE(107, Runs.LOOP, null),
    CONNECT_GET_URI(110, Runs.LOOP, null),
    DOMAIN_GET_SECURITY_LABEL(121, Runs.LOOP, null),
    NODE_GET_SECURITY_MODEL(122, Runs.LOOP, null),
    DOMAIN_IS_ACTIVE(150, Runs.WORKER, null),
    DOMAIN_IS_PERSISTENT(151, Runs.WORKER, null),
    CONNECT_GET_LIB_VERSION(157, Runs.LOOP, null),
    DOMAIN_ATTACH_DEVICE_FLAGS(160, Runs.WORKER, "virDomainAttachDeviceFlags"),
    DOMAIN_DETACH_DEVICE_FLAGS(161, Runs.WORKER, "virDomainDetachDeviceFlags"),
    CONNECT_DOMAIN_EVENT_REGISTER_ANY(167, Runs.LOOP, null),
    CONNECT_DOMAIN_EVENT_DEREGISTER_ANY(168, Runs.LOOP, null),
    DOMAIN_HAS_MANAGED_SAVE_IMAGE(183, Runs.WORKER, null),
    DOMAIN_SNAPSHOT_NUM(187, Runs.LOOP, null),
    DOMAIN_CREATE_WITH_FLAGS(196, Runs.WORKER, "virDomainCreateWithFlags"),
    DOMAIN_GET_STATE(212, Runs.WORKER, null),
    DOMAIN_UNDEFINE_FLAGS(231, Runs.WORKER, "virDomainUndefineFlags"),
    DOMAIN_DESTROY_FLAGS(234, Runs.WORKER, "virDomainDestroyFlags"),
    DOMAIN_SHUTDOWN_FLAGS(258, Runs.WORKER, "virDomainShutdownFlags"),
    CONNECT_LIST_ALL_DOMAINS(273, Runs.WORKER, null),
    CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY(316, Runs.LOOP, null),
    CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY(317, Runs.LOOP, null),
    DOMAIN_EVENT_CALLBACK_LIFECYCLE(318, Runs.LOOP, null),
    DOMAIN_DEFINE_XML_FLAGS(350, Runs.WORKER, "virDomainDefineXMLFlags"),
    CONNECT_REGISTER_CLOSE_CALLBACK(360, Runs.LOOP, null),
    CONNECT_UNREGISTER_CLOSE_CALLBACK(361, Runs.LOOP, null);

    /** Where a call of the procedure runs. */
    public enum Runs { LOOP, WORKER }

    private static final Map<Integer, Procedure> BY_NUMBER = new HashMap<>();

    static {
        for (Procedure p : values()) {
            BY_NUMBER.put(p.number, p);
        }
    }

    private final int number;
    private final Runs runs;
    private final String stateChangingApi;

    Procedure(int number, Runs runs, String stateChangingApi) {
        this.number = number;
        this.runs = runs;
        this.stateChangingApi = stateChangingApi;
    }

    public int number() {
        return number;
    }

    public Runs runs() {
        return runs;
    }

    /** True for a call that changes state: refused on a read-only connection. */
    public boolean changesState() {
        return stateChangingApi != null;
    }

    /** The libvirt API a read-only refusal names, e.g. {@code virDomainCreate}; null when it changes nothing. */
    public String api() {
        return stateChangingApi;
    }

    /** The procedure with this number, or null when this daemon does not know it by name. */
    public static Procedure of(int number) {
        return BY_NUMBER.get(number);
    }
}
