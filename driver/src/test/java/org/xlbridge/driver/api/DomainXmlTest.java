package org.xlbridge.driver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.libvirt.Error.ErrorNumber;

class DomainXmlTest {
    static final String FULL = """
            <domain type='xen'>
              <name>web1</name>
              <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
              <memory unit='MiB'>512</memory>
              <currentMemory unit='KiB'>262144</currentMemory>
              <vcpu placement='static'>2</vcpu>
              <os><type>hvm</type></os>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>preserve</on_crash>
              <devices>
                <disk type='file' device='disk'>
                  <source file='/var/lib/xen/web1.img'/>
                  <target dev='xvda' bus='xen'/>
                </disk>
                <disk type='block' device='cdrom'>
                  <source dev='/dev/sr0'/>
                  <target dev='xvdc'/>
                  <readonly/>
                </disk>
                <interface type='bridge'/>
              </devices>
            </domain>
            """;

    @Test
    void parsesTheSubset() {
        DomainDefinition d = DomainXml.parse(FULL);
        assertThat(d.type()).isEqualTo("xen");
        assertThat(d.name()).isEqualTo("web1");
        assertThat(d.uuid()).isEqualTo(UUID.fromString("6695eb01-f6a4-8304-79aa-97f2502e193f"));
        assertThat(d.memoryKiB()).isEqualTo(512 * 1024);
        assertThat(d.currentMemoryKiB()).isEqualTo(262144);
        assertThat(d.vcpus()).isEqualTo(2);
        assertThat(d.onPoweroff()).isEqualTo(LifecycleAction.DESTROY);
        assertThat(d.onReboot()).isEqualTo(LifecycleAction.RESTART);
        assertThat(d.onCrash()).isEqualTo(LifecycleAction.PRESERVE);
        assertThat(d.disks()).containsExactly(
                new DiskDefinition("file", "disk", "/var/lib/xen/web1.img", "xvda", "xen", false),
                new DiskDefinition("block", "cdrom", "/dev/sr0", "xvdc", null, true));
    }

    @Test
    void defaultsAsLibvirt() {
        DomainDefinition d = DomainXml.parse("<domain type='xen'><name>a</name><memory>1024</memory></domain>");
        assertThat(d.memoryKiB()).isEqualTo(1024); // no unit: KiB
        assertThat(d.currentMemoryKiB()).isEqualTo(1024);
        assertThat(d.vcpus()).isEqualTo(1);
        assertThat(d.onPoweroff()).isEqualTo(LifecycleAction.DESTROY);
        assertThat(d.onReboot()).isEqualTo(LifecycleAction.RESTART);
        assertThat(d.onCrash()).isEqualTo(LifecycleAction.DESTROY);
        assertThat(d.uuid()).isNotNull();
        assertThat(d.disks()).isEmpty();
    }

    @Test
    void uuidWithoutDashesAndUnitsInBytesRoundUp() {
        DomainDefinition d = DomainXml.parse("<domain type='xen'><name>a</name>"
                + "<uuid>6695eb01f6a4830479aa97f2502e193f</uuid><memory unit='b'>1025</memory></domain>");
        assertThat(d.uuid()).isEqualTo(UUID.fromString("6695eb01-f6a4-8304-79aa-97f2502e193f"));
        assertThat(d.memoryKiB()).isEqualTo(2);
    }

    @Test
    void toXmlReadsBackEqual() {
        DomainDefinition d = DomainXml.parse(FULL);
        assertThat(DomainXml.parse(d.toXml())).isEqualTo(d);
        DiskDefinition disk = DiskDefinition.file("/tmp/a'b&c.img", "xvdb");
        assertThat(DomainXml.parseDisk(disk.toXml())).isEqualTo(disk);
    }

    static List<BadDomainXml.Case> badCases() {
        return BadDomainXml.CASES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCases")
    void badInputIsLibvirtsError(BadDomainXml.Case c) {
        assertThatThrownBy(() -> DomainXml.parse(c.xml("xen")))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).as(e.getMessage()).isEqualTo(c.error()))
                .hasMessageContaining(c.error().name());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "<domain type='xen'><name>a</name><memory>1</memory></domain><domain/>",      // two roots
        "<domain type='xen' type='hvm'><name>a</name></domain>",                      // duplicate attribute
    })
    void documentsTheParserRejectsAreXmlDetail(String xml) {
        // libvirt answers VIR_ERR_XML_DETAIL for what its XML parser rejects (measured on test:///default).
        assertThatThrownBy(() -> DomainXml.parse(xml))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_XML_DETAIL));
    }

    @Test
    void currentMemoryAboveMemoryIsClampedAsLibvirtDoes() {
        DomainDefinition d = DomainXml.parse(
                "<domain type='xen'><name>a</name><memory>1024</memory><currentMemory>2048</currentMemory></domain>");
        assertThat(d.currentMemoryKiB()).isEqualTo(1024);
    }

    @Test
    void messagesNameTheProblem() {
        assertThatThrownBy(() -> DomainXml.parse("<domain type='xen'><name>a</name></domain>"))
                .hasMessageContaining("missing <memory> element");
        assertThatThrownBy(() -> DomainXml.parse("<domain type='xen'><memory>1</memory></domain>"))
                .hasMessageContaining("missing name information");
        assertThatThrownBy(() -> DomainXml.parse(
                "<domain type='xen'><name>a</name><memory>1</memory><on_crash>explode</on_crash></domain>"))
                .hasMessageContaining("unknown <on_crash> action 'explode'");
        assertThatThrownBy(() -> DomainXml.parseDisk("<disk type='file'><source file='/x'/></disk>"))
                .hasMessageContaining("<target dev=");
    }

    @Test
    void externalEntitiesAreRefusedAndNeverRead(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOPSECRET");
        String xxe = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM '" + secret.toUri() + "'>]>"
                + "<domain type='xen'><name>&x;</name><memory>1024</memory></domain>";
        assertThatThrownBy(() -> DomainXml.parse(xxe))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_XML_DETAIL))
                .hasMessageContaining("DOCTYPE")
                .hasMessageNotContaining("TOPSECRET");
    }

    @Test
    void entityExpansionIsRefused() {
        String lol = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>"
                + "<domain type='xen'><name>&b;</name><memory>1024</memory></domain>";
        assertThatThrownBy(() -> DomainXml.parse(lol)).isInstanceOf(DriverException.class)
                .hasMessageContaining("DOCTYPE");
    }

    @Test
    void nullIsXmlDetail() {
        assertThatThrownBy(() -> DomainXml.parse(null)).isInstanceOf(DriverException.class)
                .hasMessageContaining("empty XML document");
    }

    @Test
    void definitionRejectsInconsistentValues() {
        assertThatThrownBy(() -> new DomainDefinition("xen", "a", UUID.randomUUID(), 10, 20, 1,
                LifecycleAction.DESTROY, LifecycleAction.RESTART, LifecycleAction.DESTROY, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
