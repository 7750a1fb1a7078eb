package org.xlbridge.driver.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.xlbridge.driver.api.BadDomainXml;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;

/**
 * Keeps {@link org.xlbridge.driver.api.DomainXml}'s error numbers in step with libvirt's: every bad input
 * of {@link BadDomainXml} goes to libvirt's {@code test:///default} too, which must answer the same number
 * (or, for the cases marked as differing, at least not the same as ours is not required: the case says
 * why). No event loop is needed: nothing here listens for events.
 */
class DomainXmlAgreementLibvirtTest {
    private static org.libvirt.Connect conn;

    @BeforeAll
    static void open() throws LibvirtException {
        LibvirtAssumptions.assumeLibvirt();
        conn = new org.libvirt.Connect("test:///default");
    }

    @AfterAll
    static void close() throws LibvirtException {
        if (conn != null) {
            conn.close();
        }
    }

    static List<BadDomainXml.Case> cases() {
        return BadDomainXml.CASES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void libvirtAnswersTheSameNumber(BadDomainXml.Case c) throws LibvirtException {
        ErrorNumber libvirts;
        try {
            org.libvirt.Domain d = conn.domainDefineXML(c.xml("test"));
            d.undefine();
            libvirts = null;
        } catch (LibvirtException e) {
            libvirts = e.getError().getCode();
        }
        if (c.differs() == null) {
            if (libvirts == null) {
                fail("libvirt accepted '" + c + "', which DomainXml refuses with " + c.error());
            }
            assertThat(libvirts).as(c.name()).isEqualTo(c.error());
        } else {
            // A documented difference must still be one: if libvirt starts agreeing, drop the note.
            assertThat(libvirts).as(c.name() + " (documented difference: " + c.differs() + ")")
                    .isNotEqualTo(c.error());
        }
    }
}
