package org.xlbridge.libxl.ao;

/**
 * Progress reports of a long operation (libxl's {@code libxl_asyncprogress_how}): create reports
 * {@code "domain-built"}, {@code "devices-ready"} and {@code "running"}. Runs like {@link AoCallback}, before the
 * completion, never after it.
 */
@FunctionalInterface
public interface AoProgress {
    void progress(Ao ao, String stage);
}
