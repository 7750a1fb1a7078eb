package org.xlbridge.driver.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.testing.ManualEventLoop;

class DriverManagerTest {
    private final ManualEventLoop loop = new ManualEventLoop();
    private DriverManager manager;

    @BeforeEach
    void setUp() {
        RecordingDriver.JOURNAL.clear();
        RecordingDriver.FAIL_NEXT_START.set(false);
        manager = new DriverManager(DriverEnvironment.of(loop));
    }

    @AfterEach
    void tearDown() {
        manager.close();
        loop.close();
    }

    private static void assertError(Runnable r, ErrorNumber n, String messagePart) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(DriverException.class,
                e -> assertThat(e.getError()).isEqualTo(n)).hasMessageContaining(messagePart);
    }

    @Test
    void serviceLoaderFindsTheDriversOnTheClassPath() {
        assertThat(manager.driverNames()).contains("libvirt", "recording");
    }

    @Test
    void anUnknownSchemeListsTheDriversFound() {
        assertError(() -> manager.open("nosuch:///system"), ErrorNumber.VIR_ERR_NO_CONNECT,
                "no connection driver available for 'nosuch:///system'");
        assertError(() -> manager.open("nosuch:///system"), ErrorNumber.VIR_ERR_NO_CONNECT, "libvirt");
        assertError(() -> manager.open("nosuch:///system"), ErrorNumber.VIR_ERR_NO_CONNECT, "recording");
        assertThat(manager.startedDrivers()).isEmpty();
    }

    @Test
    void withNoDriversTheMessageSaysSo() {
        try (DriverManager empty = new DriverManager(DriverEnvironment.of(loop), List.of())) {
            assertError(() -> empty.open("xl:///system"), ErrorNumber.VIR_ERR_NO_CONNECT, "drivers found: none");
        }
    }

    @Test
    void badUrisAreInvalidArguments() {
        assertError(() -> manager.open(null), ErrorNumber.VIR_ERR_INVALID_ARG, "empty");
        assertError(() -> manager.open(" "), ErrorNumber.VIR_ERR_INVALID_ARG, "empty");
        assertError(() -> manager.open("rec://a b c"), ErrorNumber.VIR_ERR_INVALID_ARG, "cannot parse URI");
        assertError(() -> manager.open("/just/a/path"), ErrorNumber.VIR_ERR_INVALID_ARG, "has no scheme");
    }

    @Test
    void stateStartsOnceConnectionsManyTimesAndCloseGoesInLibvirtsOrder() {
        Connect a = manager.open("rec:///a");
        Connect b = manager.open("rec:///b");
        a.close();
        Connect c = manager.open("rec:///c");
        assertThat(manager.startedDrivers()).containsExactly("recording");
        manager.close();
        assertThat(b.isOpen()).isFalse();
        assertThat(c.isOpen()).isFalse();
        assertThat(RecordingDriver.JOURNAL).containsExactly("start", "open rec:///a", "open rec:///b",
                "close rec:///a", "open rec:///c", "close rec:///b", "close rec:///c", "cleanup");
        manager.close(); // idempotent: nothing more happens
        assertThat(RecordingDriver.JOURNAL).hasSize(8);
        assertError(() -> manager.open("rec:///d"), ErrorNumber.VIR_ERR_INVALID_CONN, "closed");
    }

    @Test
    void concurrentOpensStartTheStateOnce() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int n = i;
            Thread t = new Thread(() -> {
                Await.await(go, "go");
                manager.open("rec:///t" + n);
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            Await.join(t);
        }
        assertThat(RecordingDriver.JOURNAL.stream().filter("start"::equals)).hasSize(1);
        assertThat(RecordingDriver.JOURNAL.stream().filter(s -> s.startsWith("open"))).hasSize(8);
    }

    @Test
    void aFailedStartRecordsNothingAndTheNextOpenRetries() {
        RecordingDriver.FAIL_NEXT_START.set(true);
        assertError(() -> manager.open("rec:///a"), ErrorNumber.VIR_ERR_INTERNAL_ERROR, "told to fail");
        assertThat(manager.startedDrivers()).isEmpty();
        Connect a = manager.open("rec:///a");
        assertThat(a.isOpen()).isTrue();
        assertThat(RecordingDriver.JOURNAL).containsExactly("start-failed", "start", "open rec:///a");
    }

    @Test
    void theLibvirtDriverRefusesALoopThatIsNotLibvirtsEventImplementation() {
        // A ManualEventLoop is not libvirt's event implementation: libvirt's events would run elsewhere.
        assertError(() -> manager.open("test:///default"), ErrorNumber.VIR_ERR_NO_SUPPORT, "libvirt");
        assertThat(manager.startedDrivers()).isEmpty();
    }
}
