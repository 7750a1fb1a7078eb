package org.xlbridge.driver.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.DriverConfigModule;
import org.xlbridge.driver.DriverRuntime;
import org.xlbridge.driver.EventLoopModule;
import org.xlbridge.driver.LibxlDriverModule;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DriverException;

/**
 * {@link DriverPluginModule} with the test class path's {@link RecordingDriver}: the module only binds, the
 * {@link DriverRuntime} opens {@code xlbridge.uri} at start and closes the manager at close.
 */
class DriverPluginModuleTest {
    @BeforeEach
    void clearJournal() {
        RecordingDriver.JOURNAL.clear();
    }

    private static Injector injector(String uri) {
        return Guice.createInjector(new DriverConfigModule(DriverConfig.defaults().withUri(uri)),
                new EventLoopModule(), new LibxlDriverModule(), new DriverPluginModule());
    }

    @Test
    void theConfiguredUriIsOpenedOnceOnTheBoundLoopByStart() {
        Injector injector = injector("rec:///guice");
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        assertThatThrownBy(() -> injector.getInstance(Connect.class)).isInstanceOf(ProvisionException.class)
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("connection 'rec:///guice' is not open: call DriverRuntime.start() first");
        assertThat(RecordingDriver.JOURNAL).as("nothing started or opened before start()").isEmpty();
        runtime.start();
        Connect c;
        try {
            c = injector.getInstance(Connect.class);
            assertThat(c.getURI()).isEqualTo("rec:///guice");
            assertThat(injector.getInstance(Connect.class)).isSameAs(c).isSameAs(runtime.connection());
            DriverManager manager = injector.getInstance(DriverManager.class);
            assertThat(manager).isSameAs(runtime.driverManager());
            assertThat(manager.environment().loop()).isSameAs(runtime.loop());
            assertThat(manager.environment().protocol()).isEqualTo(DriverConfig.defaults().protocol());
            assertThat(RecordingDriver.JOURNAL).containsExactly("start", "open rec:///guice");
        } finally {
            runtime.close();
        }
        // the runtime closed the manager: the application does not
        assertThat(c.isOpen()).isFalse();
        assertThat(RecordingDriver.JOURNAL).containsExactly("start", "open rec:///guice", "close rec:///guice",
                "cleanup");
        assertThatThrownBy(() -> injector.getInstance(Connect.class)).hasMessageContaining("driver runtime is closed");
    }

    @Test
    void anUnknownUriFailsAtStartWithTheDriversFoundAndLeavesNothingRunning() {
        Injector injector = injector("nosuch:///x");
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        assertThatThrownBy(runtime::start).isInstanceOf(DriverException.class)
                .satisfies(e -> assertThat(((DriverException) e).getError()).isEqualTo(ErrorNumber.VIR_ERR_NO_CONNECT))
                .hasMessageContaining("recording");
        assertThat(runtime.isRunning()).isFalse();
        assertThat(RecordingDriver.JOURNAL).isEmpty();
        assertThatThrownBy(runtime::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void aFailingDriverStateClosesWhatStartMade() {
        RecordingDriver.FAIL_NEXT_START.set(true);
        Injector injector = injector("rec:///fails");
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class);
        assertThatThrownBy(runtime::start).isInstanceOf(DriverException.class)
                .hasMessageContaining("recording driver told to fail");
        assertThat(runtime.isRunning()).isFalse();
        assertThat(runtime.context().isClosed()).isTrue();
        assertThat(runtime.bridge().isDrained()).isTrue();
        assertThat(RecordingDriver.JOURNAL).containsExactly("start-failed");
    }

    @Test
    void withoutThePluginTheRuntimeOpensNoConnection() {
        Injector injector = Guice.createInjector(new DriverConfigModule(DriverConfig.defaults().withUri("rec:///x")),
                new EventLoopModule(), new LibxlDriverModule());
        try (DriverRuntime runtime = injector.getInstance(DriverRuntime.class).start()) {
            assertThatThrownBy(runtime::connection).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("install DriverPluginModule");
        }
        assertThat(RecordingDriver.JOURNAL).isEmpty();
    }

    @Test
    void theUriComesFromXlbridgeUriAndDefaultsToXl() {
        assertThat(DriverConfig.fromProperties(new Properties()).uri()).isEqualTo("xl:///system");
        assertThat(DriverConfig.defaults().uri()).isEqualTo(DriverConfig.DEFAULT_URI);
        Properties p = new Properties();
        p.setProperty(DriverConfig.URI_PROPERTY, " test:///default ");
        assertThat(DriverConfig.fromProperties(p).uri()).isEqualTo("test:///default");
        assertThat(DriverConfig.fromProperties(p).libvirt()).as("the plugin URI is not libvirt-java's").isEmpty();
        p.setProperty(DriverConfig.URI_PROPERTY, " ");
        assertThatThrownBy(() -> DriverConfig.fromProperties(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("xlbridge.uri");
        assertThatThrownBy(() -> DriverConfig.defaults().withUri(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("xlbridge.uri");
    }
}
