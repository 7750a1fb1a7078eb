package org.xlbridge.eventloop.libvirt;

/** Domain XML for libvirt's test driver ({@code test:///default} and a daemon's test driver). */
final class TestDomains {
    private TestDomains() {
    }

    /** A minimal domain the test driver accepts; {@code name} must be unique among defined domains. */
    static String xml(String name) {
        return "<domain type='test'><name>" + name + "</name><memory>8192</memory>"
                + "<os><type>hvm</type></os></domain>";
    }
}
