package org.xlbridge.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The copyable example runs as documented against the simulated host. */
class ManageDomainsTest {
    @Test
    void theExampleManagesADomainOnXl() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            ManageDomains.main(new String[] {"xl:///system"});
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("event: example DEFINED ADDED", "event: example STARTED BOOTED",
                "event: example STOPPED SHUTDOWN", "stopped: BY_GUEST", "event: example UNDEFINED REMOVED");
    }
}
