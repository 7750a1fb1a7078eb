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

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "   ",
        "not xml at all",
        "<domain type='xen'><name>a</name>",                                          // not well-formed
        "<network><name>a</name></network>",                                          // wrong root
        "<domain><name>a</name><memory>1</memory></domain>",                           // no type
        "<domain type='xen'><memory>1024</memory></domain>",                           // no name
        "<domain type='xen'><name> </name><memory>1024</memory></domain>",             // blank name
        "<domain type='xen'><name>a/b</name><memory>1024</memory></domain>",           // '/' in name
        "<domain type='xen'><name>a</name><name>b</name><memory>1024</memory></domain>", // two names
        "<domain type='xen'><name>a</name></domain>",                                  // no memory
        "<domain type='xen'><name>a</name><memory>lots</memory></domain>",
        "<domain type='xen'><name>a</name><memory>-5</memory></domain>",
        "<domain type='xen'><name>a</name><memory>0</memory></domain>",
        "<domain type='xen'><name>a</name><memory unit='parsecs'>5</memory></domain>",
        "<domain type='xen'><name>a</name><memory unit='TiB'>9223372036854775807</memory></domain>",
        "<domain type='xen'><name>a</name><memory>1024</memory><currentMemory>2048</currentMemory></domain>",
        "<domain type='xen'><name>a</name><memory>1024</memory><vcpu>0</vcpu></domain>",
        "<domain type='xen'><name>a</name><memory>1024</memory><vcpu>two</vcpu></domain>",
        "<domain type='xen'><name>a</name><uuid>not-a-uuid</uuid><memory>1024</memory></domain>",
        "<domain type='xen'><name>a</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193</uuid><memory>1</memory></domain>",
        "<domain type='xen'><name>a</name><memory>1024</memory><on_crash>explode</on_crash></domain>",
        "<domain type='xen'><name>a</name><memory>1024</memory><on_reboot>coredump-restart</on_reboot></domain>",
        "<domain type='xen'><name>a</name><memory>1024</memory><devices><disk type='file'>"
                + "<source file='/x'/></disk></devices></domain>",                      // disk without target
        "<domain type='xen'><name>a</name><memory>1024</memory><devices><disk type='network'>"
                + "<target dev='xvda'/></disk></devices></domain>",                     // unsupported disk type
        "<domain type='xen'><name>a</name><memory>1024</memory><devices>"
                + "<disk><target dev='xvda'/></disk><disk><target dev='xvda'/></disk></devices></domain>",
        "<domain type='xen'><name>a</name><memory>1024</memory><devices><disk type='file'>"
                + "<source/><target dev='xvda'/></disk></devices></domain>",           // source without file
    })
    void badInputIsXmlError(String xml) {
        assertThatThrownBy(() -> DomainXml.parse(xml))
                .isInstanceOfSatisfying(DriverException.class,
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_XML_ERROR))
                .hasMessageContaining("VIR_ERR_XML_ERROR");
    }

    @Test
    void messagesNameTheProblem() {
        assertThatThrownBy(() -> DomainXml.parse("<domain type='xen'><name>a</name></domain>"))
                .hasMessageContaining("missing <memory> element");
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
                        e -> assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_XML_ERROR))
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
    void nullIsXmlError() {
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
