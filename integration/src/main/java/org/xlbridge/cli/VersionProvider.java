package org.xlbridge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code xlbridge --version}: the artifact's version and the commit it was built from (set by the build). */
final class VersionProvider implements IVersionProvider {
    private static final String RESOURCE = "xlbridge-version.properties";

    @Override
    public String[] getVersion() {
        return new String[] {"xlbridge " + version() + " (commit " + commit() + ")"};
    }

    /** The Maven version this jar was built as, e.g. {@code 0.1.0-SNAPSHOT}; "unknown" outside a built jar. */
    static String version() {
        return read().getProperty("version", "unknown");
    }

    /** The abbreviated commit id this jar was built from, with "-dirty" for uncommitted changes; "unknown" without git. */
    static String commit() {
        String id = read().getProperty("commit", "");
        return id.isBlank() || id.startsWith("${") ? "unknown" : id;
    }

    private static Properties read() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // no version resource: both read as unknown
        }
        return p;
    }
}
