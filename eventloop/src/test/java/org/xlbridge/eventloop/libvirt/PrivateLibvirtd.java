package org.xlbridge.eventloop.libvirt;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private {@code libvirtd} for tests (Debian package {@code libvirt-daemon}): a child process in the
 * foreground with its own configuration, socket directory and log under a build directory, reachable only
 * through its UNIX sockets. Usable from any module's tests (it ships in the eventloop test-jar):
 *
 * <pre>{@code
 * try (PrivateLibvirtd daemon = PrivateLibvirtd.start()) {
 *     Connect conn = new Connect(daemon.testUri());   // test+unix:///default?socket=...
 * }
 * }</pre>
 *
 * <p>Isolation: no TCP or TLS listener ({@code listen_tcp = 0}, {@code listen_tls = 0}, no
 * {@code --listen}); authentication is off on its sockets, so the socket directory and the sockets are
 * mode 0700, for the owner only; {@code LIBVIRT_DRIVER_DIR} points at an empty directory, so libvirtd
 * 9.0 loads none of its driver modules (QEMU, network, storage ...) and serves only the drivers built
 * into libvirt.so, among them {@code test:///default}; its pid file is in the build directory. Run as
 * root, libvirtd 9.0 still writes its identity token to {@code /run/libvirt/common/system.token}.
 *
 * <p>Lifetime: {@link #close()} stops it by its pid (SIGTERM, then SIGKILL after a bound) and waits for
 * it to exit; a JVM shutdown hook does the same if a test forgot or the JVM is ending; {@link #kill()}
 * is a crash (SIGKILL), for tests of a daemon that goes away.
 *
 * <p>Thread safety: start and close from one thread; {@link #isAlive()} from any. It needs nothing but
 * the JDK and SLF4J, so that benchmarks can use it outside JUnit.
 */
public final class PrivateLibvirtd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateLibvirtd.class);
    /** How long the daemon may take to create its socket, and to exit when asked. Generous: loaded CI. */
    private static final Duration BOUND = Duration.ofSeconds(20);
    /** sun_path holds 108 bytes, NUL included. */
    private static final int MAX_SOCKET_PATH = 107;
    /** Where Debian installs libvirtd; /usr/sbin is not on every user's PATH. */
    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/sbin/libvirtd"), Path.of("/usr/local/sbin/libvirtd"));
    /** Distinguishes the daemons of one JVM. */
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final Process process;
    private final Path dir;
    private final Path socket;
    private final Path log;
    private final Thread shutdownHook;

    private PrivateLibvirtd(Process process, Path dir, Path socket, Path log) {
        this.process = process;
        this.dir = dir;
        this.socket = socket;
        this.log = log;
        this.shutdownHook = new Thread(this::stopQuietly, "private-libvirtd-" + process.pid() + "-stopper");
    }

    /** The libvirtd binary: on PATH, or where Debian puts it. */
    public static Optional<Path> binary() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(":")) {
                if (!entry.isEmpty()) {
                    Path p = Path.of(entry, "libvirtd");
                    if (Files.isExecutable(p)) {
                        return Optional.of(p);
                    }
                }
            }
        }
        return CANDIDATES.stream().filter(Files::isExecutable).findFirst();
    }

    /** Whether a libvirtd binary is installed. */
    public static boolean isInstalled() {
        return binary().isPresent();
    }

    /** Starts a daemon under {@code target/} of the working directory (the module, under Maven). */
    public static PrivateLibvirtd start() throws IOException {
        return start(Path.of("target").toAbsolutePath());
    }

    /**
     * Starts a daemon whose files live in a new directory under {@code buildDir}, and returns once its
     * read-write socket accepts connections.
     *
     * @throws IOException           if the files cannot be written or libvirtd is not installed
     * @throws IllegalStateException if libvirtd exits or makes no socket within the bound (the message
     *                               carries its log), or the socket path would be too long
     */
    public static PrivateLibvirtd start(Path buildDir) throws IOException {
        Path exe = binary().orElseThrow(() -> new IOException(
                "libvirtd not found on PATH or in /usr/sbin: install the Debian package libvirt-daemon"));
        Path dir = buildDir.resolve("libvirtd-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
        Path sockets = dir.resolve("sock");
        Path drivers = dir.resolve("no-drivers");
        Path socket = sockets.resolve("libvirt-sock");
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new IllegalStateException("socket path too long for a UNIX socket (" + socket
                    + "): start the daemon under a shorter build directory");
        }
        Files.createDirectories(drivers);
        Files.createDirectories(sockets);
        Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwx------"));
        Path config = dir.resolve("libvirtd.conf");
        Path log = dir.resolve("libvirtd.log");
        Files.writeString(config, String.join("\n",
                "# A private test daemon: UNIX sockets only, owner-only, no authentication.",
                "listen_tls = 0",
                "listen_tcp = 0",
                "unix_sock_dir = \"" + sockets + "\"",
                "unix_sock_rw_perms = \"0700\"",
                "unix_sock_ro_perms = \"0700\"",
                "unix_sock_admin_perms = \"0700\"",
                "auth_unix_rw = \"none\"",
                "auth_unix_ro = \"none\"",
                "log_outputs = \"3:stderr\"",
                ""));
        ProcessBuilder pb = new ProcessBuilder(exe.toString(), "--config", config.toString(), "--pid-file",
                dir.resolve("libvirtd.pid").toString());
        pb.environment().put("LIBVIRT_DRIVER_DIR", drivers.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = pb.start();
        PrivateLibvirtd daemon = new PrivateLibvirtd(process, dir, socket, log);
        Runtime.getRuntime().addShutdownHook(daemon.shutdownHook);
        try {
            daemon.awaitSocket();
        } catch (RuntimeException | Error e) {
            daemon.close();
            throw e;
        }
        LOG.info("private libvirtd {} listening on {}", process.pid(), socket);
        return daemon;
    }

    private void awaitSocket() {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("libvirtd exited with status " + process.exitValue()
                        + " before listening; its log (" + log + "):\n" + logText());
            }
            if (Files.exists(socket) && accepts()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("libvirtd made no socket at " + socket + " within "
                        + BOUND.toSeconds() + " s; its log (" + log + "):\n" + logText());
            }
            pause(10);
        }
    }

    /** Bounded polling only (the daemon gives no other signal), never synchronisation. */
    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for libvirtd", e);
        }
    }

    private boolean accepts() {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The daemon's read-write socket. */
    public Path socket() {
        return socket;
    }

    /** The URI of the daemon's test driver: {@code test+unix:///default?socket=...}. */
    public String testUri() {
        return "test+unix:///default?socket=" + socket;
    }

    /** The daemon's process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether the daemon process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The daemon's directory (configuration, sockets, log, pid file). */
    public Path directory() {
        return dir;
    }

    /** What the daemon wrote to stdout/stderr so far. */
    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Kills the daemon with SIGKILL, as a crash would, and waits for it to be gone. */
    public void kill() {
        process.destroyForcibly();
        waitForExit(BOUND);
    }

    /** Stops the daemon by its pid (SIGTERM, SIGKILL after the bound) and waits for it to be gone. Idempotent. */
    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs (or ran) stopQuietly itself
        }
        if (process.isAlive()) {
            throw new IllegalStateException("libvirtd " + process.pid() + " is still running after SIGKILL");
        }
    }

    private void stopQuietly() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!waitForExit(BOUND)) {
            LOG.warn("libvirtd {} ignored SIGTERM for {} s; killing it", process.pid(), BOUND.toSeconds());
            process.destroyForcibly();
            waitForExit(BOUND);
        }
    }

    private boolean waitForExit(Duration bound) {
        try {
            return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    @Override
    public String toString() {
        return "PrivateLibvirtd[pid=" + process.pid() + ", socket=" + socket + (process.isAlive() ? "" : ", exited") + "]";
    }
}
