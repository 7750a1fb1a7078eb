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

class DriverPluginModuleTest {
    @BeforeEach
    void clearJournal() {
        RecordingDriver.JOURNAL.clear();
    }

    private static Injector injector(String uri) {
        return Guice.createInjector(new DriverConfigModule(DriverConfig.defaults()), new EventLoopModule(),
                new LibxlDriverModule(), new DriverPluginModule(new ConnectionConfig(uri)));
    }

    @Test
    void theConfiguredUriIsOpenedOnceOnTheBoundLoop() {
        Injector injector = injector("rec:///guice");
        DriverRuntime runtime = injector.getInstance(DriverRuntime.class).start();
        try {
            Connect c = injector.getInstance(Connect.class);
            assertThat(c.getURI()).isEqualTo("rec:///guice");
            assertThat(injector.getInstance(Connect.class)).isSameAs(c);
            DriverManager manager = injector.getInstance(DriverManager.class);
            assertThat(manager.environment().loop()).isSameAs(runtime.loop());
            assertThat(manager.environment().protocol()).isEqualTo(DriverConfig.defaults().protocol());
            manager.close();
            assertThat(c.isOpen()).isFalse();
            assertThat(RecordingDriver.JOURNAL).containsExactly("start", "open rec:///guice", "close rec:///guice",
                    "cleanup");
        } finally {
            runtime.close();
        }
    }

    @Test
    void anUnknownUriFailsAtInjectionWithTheDriversFound() {
        Injector injector = injector("nosuch:///x");
        assertThatThrownBy(() -> injector.getInstance(Connect.class)).isInstanceOf(ProvisionException.class)
                .hasCauseInstanceOf(DriverException.class)
                .satisfies(e -> assertThat(((DriverException) e.getCause()).getError())
                        .isEqualTo(ErrorNumber.VIR_ERR_NO_CONNECT))
                .hasMessageContaining("recording");
    }

    @Test
    void theUriComesFromXlbridgeUriAndDefaultsToXl() {
        assertThat(ConnectionConfig.fromProperties(new Properties()).uri()).isEqualTo("xl:///system");
        Properties p = new Properties();
        p.setProperty(ConnectionConfig.URI_PROPERTY, " test:///default ");
        assertThat(ConnectionConfig.fromProperties(p).uri()).isEqualTo("test:///default");
        p.setProperty(ConnectionConfig.URI_PROPERTY, " ");
        assertThatThrownBy(() -> ConnectionConfig.fromProperties(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("xlbridge.uri");
    }
}
