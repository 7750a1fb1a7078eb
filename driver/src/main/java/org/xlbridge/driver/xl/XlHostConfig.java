package org.xlbridge.driver.xl;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.xen.GuestScript;

/**
 * The simulated host an {@code xl:///system} URI asks for. Query parameters (all optional):
 * <dl>
 *   <dt>{@code domains=N}</dt><dd>N persistent domains {@code sim-1} .. {@code sim-N} defined (not started)
 *       when the host starts, 256 MiB and 1 vcpu each (default 0)</dd>
 *   <dt>{@code guests=cooperative|random|random-responsive|unresponsive}</dt><dd>how the guests of domains
 *       whose XML has no {@code <metadata><guest/></metadata>} behave: answer at once; a seeded random mix
 *       (answer after 0..maxAnswerMs or, one in ten, never; one in twenty crashes; one in five pauses
 *       slowly; device backends likewise); the same mix with backends that always answer (a backend that
 *       never answers holds a disk attach for libxl's 40 s hotplug timeout); never answer a shutdown or
 *       reboot request (default cooperative)</dd>
 *   <dt>{@code seed=S}</dt><dd>seed of the random mix, drawn in definition order (default 1)</dd>
 *   <dt>{@code maxAnswerMs=M}</dt><dd>the random mix's longest answer delay (default 50)</dd>
 *   <dt>{@code shutdownTimeoutMs=T}</dt><dd>how long the shutdown operation that {@code shutdown()} starts
 *       waits for the guest (libxl's shutdown ao), default 10000</dd>
 *   <dt>{@code rebootTimeoutMs=T}</dt><dd>the same for {@code reboot()}, default 10000</dd>
 *   <dt>{@code hostMemoryMiB=M}</dt><dd>the host's memory: a definition with more is refused at define, a
 *       start that does not fit beside the running domains fails (default 16777216, 16 TiB)</dd>
 *   <dt>{@code maxVcpus=N}</dt><dd>the most vcpus one domain may have (default 128, Xen's HVM limit)</dd>
 * </dl>
 * The path must be {@code /system}. An unknown parameter or a bad value is {@code VIR_ERR_INVALID_ARG}.
 */
public record XlHostConfig(int domains, String guests, long seed, long maxAnswerMs, long shutdownTimeoutMs,
        long rebootTimeoutMs, long hostMemoryMiB, int maxVcpus) {
    private static final Set<String> GUEST_MIXES = Set.of("cooperative", "random", "random-responsive",
            "unresponsive");
    private static final Set<String> KEYS = Set.of("domains", "guests", "seed", "maxanswerms", "shutdowntimeoutms",
            "reboottimeoutms", "hostmemorymib", "maxvcpus");

    public XlHostConfig {
        if (domains < 0 || maxAnswerMs < 1 || shutdownTimeoutMs < 0 || rebootTimeoutMs < 0
                || !GUEST_MIXES.contains(guests) || hostMemoryMiB < 1 || maxVcpus < 1) {
            throw new IllegalArgumentException("bad xl host configuration");
        }
    }

    public static XlHostConfig defaults() {
        return new XlHostConfig(0, "cooperative", 1, 50, 10_000, 10_000, 16L * 1024 * 1024, 128);
    }

    /** Reads the URI's path and query. */
    public static XlHostConfig fromUri(URI uri) {
        String path = uri.getPath();
        if (path == null || !(path.equals("/system") || path.equals("/system/"))) {
            throw invalid("unexpected xl URI path '" + path + "', try xl:///system");
        }
        if (uri.getHost() != null) {
            throw invalid("the xl driver is local only: no host in '" + uri + "' (try xl:///system)");
        }
        Map<String, String> q = query(uri.getRawQuery());
        XlHostConfig d = defaults();
        String guests = q.getOrDefault("guests", d.guests()).toLowerCase(Locale.ROOT);
        if (!GUEST_MIXES.contains(guests)) {
            throw invalid("guests=" + guests + ": expected cooperative, random, random-responsive or unresponsive");
        }
        return new XlHostConfig(
                (int) number(q, "domains", d.domains(), 0, 1_000_000),
                guests,
                number(q, "seed", d.seed(), Long.MIN_VALUE, Long.MAX_VALUE),
                number(q, "maxanswerms", d.maxAnswerMs(), 1, 3_600_000),
                number(q, "shutdowntimeoutms", d.shutdownTimeoutMs(), 0, 3_600_000),
                number(q, "reboottimeoutms", d.rebootTimeoutMs(), 0, 3_600_000),
                number(q, "hostmemorymib", d.hostMemoryMiB(), 1, 1L << 40),
                (int) number(q, "maxvcpus", d.maxVcpus(), 1, 4096));
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8)
                    .toLowerCase(Locale.ROOT);
            String value = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            if (!KEYS.contains(key)) {
                throw invalid("unknown xl URI parameter '" + key + "' (known: domains, guests, seed, maxAnswerMs, "
                        + "shutdownTimeoutMs, rebootTimeoutMs, hostMemoryMiB, maxVcpus)");
            }
            if (out.put(key, value) != null) {
                throw invalid("xl URI parameter '" + key + "' given twice");
            }
        }
        return out;
    }

    private static long number(Map<String, String> q, String key, long dflt, long min, long max) {
        String v = q.get(key);
        if (v == null) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw invalid("xl URI parameter " + key + "=" + v + " is not a number");
        }
        if (n < min || n > max) {
            throw invalid("xl URI parameter " + key + "=" + v + " is out of range [" + min + ", " + max + "]");
        }
        return n;
    }

    private static DriverException invalid(String message) {
        return new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, message);
    }

    /** The behaviour of the next guest without one of its own; {@code random} is drawn from {@code rng}. */
    GuestScript nextScript(Random rng) {
        return switch (guests) {
            case "random" -> GuestScript.random(rng, maxAnswerMs);
            case "random-responsive" -> {
                GuestScript g = GuestScript.random(rng, maxAnswerMs);
                yield g.backendAnswerMs() == GuestScript.NEVER ? g.withBackendAnswerMs(maxAnswerMs) : g;
            }
            case "unresponsive" -> GuestScript.cooperative().withShutdownAnswerMs(GuestScript.NEVER)
                    .withRebootAnswerMs(GuestScript.NEVER);
            default -> GuestScript.cooperative();
        };
    }
}
