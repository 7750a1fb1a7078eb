package org.xlbridge.junit;

import com.google.inject.Module;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;
import org.xlbridge.libxl.LibxlContext;

/**
 * The extension behind {@link XlbridgeDriverTest}: one invocation per loop. Each invocation builds and starts
 * its driver before the class's {@code @BeforeEach} methods, resolves it as a parameter, and after the
 * {@code @AfterEach} methods verifies and closes it, failing the invocation with every violated invariant.
 * The driver is also kept in the invocation's {@link ExtensionContext.Store}, so it is closed even when
 * something fails before verification.
 *
 * <p>Thread-safety: stateless; per-invocation state lives in {@link Invocation} and the store.
 */
public final class XlbridgeDriverExtension implements TestTemplateInvocationContextProvider {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(XlbridgeDriverExtension.class);

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getTestMethod().map(m -> AnnotationSupport.isAnnotated(m, XlbridgeDriverTest.class)).orElse(false);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        Method method = context.getRequiredTestMethod();
        XlbridgeDriverTest settings = AnnotationSupport.findAnnotation(method, XlbridgeDriverTest.class)
                .orElseThrow(() -> new ExtensionConfigurationException("@XlbridgeDriverTest missing on " + method));
        if (settings.loops().length == 0) {
            throw new ExtensionConfigurationException("@XlbridgeDriverTest(loops = {}) on " + method
                    + " names no loop: name at least one of " + Arrays.toString(DriverLoop.values()));
        }
        if (settings.dispatchThreads() < 1 || settings.poolMaxDelayMicros() < 0 || settings.drainTimeoutMs() < 0
                || settings.livenessBoundMs() < 0 || settings.reentrancyProbes() < 0) {
            throw new ExtensionConfigurationException("@XlbridgeDriverTest on " + method + ": dispatchThreads must be"
                    + " at least 1 and the other numbers must not be negative");
        }
        List<Module> modules = instantiate(settings.modules(), method);
        return new LinkedHashSet<>(Arrays.asList(settings.loops())).stream()
                .map(kind -> new Invocation(kind, settings, modules));
    }

    private static List<Module> instantiate(Class<? extends Module>[] classes, Method method) {
        List<Module> out = new ArrayList<>();
        for (Class<? extends Module> c : classes) {
            try {
                Constructor<? extends Module> k = c.getDeclaredConstructor();
                k.setAccessible(true);
                out.add(k.newInstance());
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new ExtensionConfigurationException("@XlbridgeDriverTest on " + method + ": cannot make module "
                        + c.getName() + " (it needs a no-argument constructor): " + e, e);
            }
        }
        return out;
    }

    /** One invocation: one loop. */
    private static final class Invocation implements TestTemplateInvocationContext, BeforeEachCallback,
            AfterEachCallback, ParameterResolver {
        private final DriverLoop kind;
        private final XlbridgeDriverTest settings;
        private final List<Module> modules;

        Invocation(DriverLoop kind, XlbridgeDriverTest settings, List<Module> modules) {
            this.kind = kind;
            this.settings = settings;
            this.modules = modules;
        }

        @Override
        public String getDisplayName(int invocationIndex) {
            return "[" + kind.displayName() + "]";
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(this);
        }

        @Override
        public void beforeEach(ExtensionContext context) {
            XlbridgeDriver driver = XlbridgeDriver.start(kind, settings, modules);
            context.getStore(NAMESPACE).put(XlbridgeDriver.class, driver);
        }

        @Override
        public void afterEach(ExtensionContext context) {
            XlbridgeDriver driver = context.getStore(NAMESPACE).get(XlbridgeDriver.class, XlbridgeDriver.class);
            if (driver == null) {
                return;
            }
            List<String> violations = driver.verifyAndClose();
            if (!violations.isEmpty()) {
                throw new AssertionError("xlbridge invariants violated on the " + kind.displayName() + " loop ("
                        + settings.protocol() + "):\n  " + String.join("\n  ", violations));
            }
        }

        @Override
        public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
            Class<?> t = pc.getParameter().getType();
            return t == XlbridgeDriver.class || t == DriverInvariantChecker.class || t == DriverLoop.class
                    || t == LibxlContext.class;
        }

        @Override
        public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
            Class<?> t = pc.getParameter().getType();
            if (t == DriverLoop.class) {
                return kind;
            }
            XlbridgeDriver driver = ec.getStore(NAMESPACE).get(XlbridgeDriver.class, XlbridgeDriver.class);
            if (driver == null) {
                throw new ParameterResolutionException("no xlbridge driver for " + pc.getDeclaringExecutable()
                        + ": it is made before @BeforeEach methods and exists only in @XlbridgeDriverTest methods");
            }
            if (t == XlbridgeDriver.class) {
                return driver;
            }
            if (t == DriverInvariantChecker.class) {
                return driver.checker();
            }
            return driver.context();
        }
    }
}
