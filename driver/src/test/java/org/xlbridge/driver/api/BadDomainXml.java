package org.xlbridge.driver.api;

import java.util.List;
import org.libvirt.Error.ErrorNumber;

/**
 * The bad domain XML inputs, each with the error number {@link DomainXml} answers. Shared by
 * {@code DomainXmlTest} and by the libvirt agreement test, which feeds the same inputs to libvirt's
 * {@code test:///default} and checks it answers the same number, except where {@link Case#differs} says
 * why not.
 */
public final class BadDomainXml {
    private BadDomainXml() {
    }

    /**
     * @param body    what goes inside {@code <domain type='T'>...</domain>} (T: the driver's type); when
     *                {@code whole} is set, the whole document instead
     * @param error   the number expected
     * @param differs null when libvirt answers the same; else why it does not
     */
    public record Case(String name, String body, boolean whole, ErrorNumber error, String differs) {
        /** The document for a domain type, with an {@code <os>} element libvirt's drivers require. */
        public String xml(String type) {
            return whole ? body : "<domain type='" + type + "'>" + body + "<os><type>hvm</type></os></domain>";
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static Case c(String name, String body, ErrorNumber error) {
        return new Case(name, body, false, error, null);
    }

    private static Case differs(String name, String body, ErrorNumber error, String why) {
        return new Case(name, body, false, error, why);
    }

    private static Case whole(String name, String doc, ErrorNumber error) {
        return new Case(name, doc, true, error, null);
    }

    private static final String M = "<memory>1024</memory>";

    public static final List<Case> CASES = List.of(
            whole("empty", "", ErrorNumber.VIR_ERR_XML_DETAIL),
            whole("not xml", "not xml at all", ErrorNumber.VIR_ERR_XML_DETAIL),
            whole("unterminated", "<domain type='test'><name>a</name>", ErrorNumber.VIR_ERR_XML_DETAIL),
            whole("wrong root", "<network><name>a</name></network>", ErrorNumber.VIR_ERR_XML_ERROR),
            whole("no type attribute", "<domain><name>a</name>" + M + "<os><type>hvm</type></os></domain>",
                    ErrorNumber.VIR_ERR_INTERNAL_ERROR),
            c("no name", M, ErrorNumber.VIR_ERR_NO_NAME),
            differs("blank name", "<name> </name>" + M, ErrorNumber.VIR_ERR_NO_NAME,
                    "libvirt accepts a name of blanks; a name nobody can type is refused here"),
            c("slash in name", "<name>a/b</name>" + M, ErrorNumber.VIR_ERR_XML_ERROR),
            differs("two names", "<name>a</name><name>b</name>" + M, ErrorNumber.VIR_ERR_XML_ERROR,
                    "libvirt silently takes the first <name>; ambiguity is refused here"),
            c("no memory", "<name>a</name>", ErrorNumber.VIR_ERR_XML_ERROR),
            c("memory not a number", "<name>a</name><memory>lots</memory>", ErrorNumber.VIR_ERR_XML_ERROR),
            c("negative memory", "<name>a</name><memory>-5</memory>", ErrorNumber.VIR_ERR_XML_ERROR),
            c("zero memory", "<name>a</name><memory>0</memory>", ErrorNumber.VIR_ERR_XML_ERROR),
            c("unknown unit", "<name>a</name><memory unit='parsecs'>5</memory>", ErrorNumber.VIR_ERR_INVALID_ARG),
            c("memory overflow", "<name>a</name><memory unit='TiB'>9223372036854775807</memory>",
                    ErrorNumber.VIR_ERR_OVERFLOW),
            differs("zero vcpus", "<name>a</name>" + M + "<vcpu>0</vcpu>", ErrorNumber.VIR_ERR_XML_ERROR,
                    "libvirt 9 reports INTERNAL_ERROR from its NUMA check ('CPU IDs in <numa> exceed the <vcpu>"
                            + " count'), a side effect; the XML is what is wrong"),
            c("vcpus not a number", "<name>a</name>" + M + "<vcpu>two</vcpu>", ErrorNumber.VIR_ERR_XML_ERROR),
            c("malformed uuid", "<name>a</name><uuid>not-a-uuid</uuid>" + M, ErrorNumber.VIR_ERR_INTERNAL_ERROR),
            c("short uuid", "<name>a</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193</uuid>" + M,
                    ErrorNumber.VIR_ERR_INTERNAL_ERROR),
            c("unknown crash action", "<name>a</name>" + M + "<on_crash>explode</on_crash>",
                    ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED),
            c("crash-only action on reboot", "<name>a</name>" + M + "<on_reboot>coredump-restart</on_reboot>",
                    ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED),
            c("disk without target", "<name>a</name>" + M
                    + "<devices><disk type='file' device='disk'><source file='/x'/></disk></devices>",
                    ErrorNumber.VIR_ERR_NO_TARGET),
            c("disk without source", "<name>a</name>" + M
                    + "<devices><disk type='file' device='disk'><target dev='xvda'/></disk></devices>",
                    ErrorNumber.VIR_ERR_NO_SOURCE),
            differs("network disk", "<name>a</name>" + M + "<devices><disk type='network' device='disk'>"
                    + "<source protocol='nbd' name='x'><host name='h'/></source><target dev='xvda'/></disk></devices>",
                    ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED,
                    "libvirt has network disks; the simulated host has only file and block ones"),
            c("two disks, one target", "<name>a</name>" + M + "<devices>"
                    + "<disk type='file' device='disk'><source file='/x'/><target dev='xvda'/></disk>"
                    + "<disk type='file' device='disk'><source file='/y'/><target dev='xvda'/></disk></devices>",
                    ErrorNumber.VIR_ERR_XML_ERROR));
}
