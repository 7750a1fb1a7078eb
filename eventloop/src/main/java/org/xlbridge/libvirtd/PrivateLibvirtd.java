package org.xlbridge.libvirtd;

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
 * A private {@code libvirtd} (Debian package {@code libvirt-daemon}) for tests, benchmarks and
 * {@code xlbridge soak}: a child process of this JVM in the foreground with its own configuration, socket
 * directory and log under a build directory, reachable only through its UNIX sockets; never a system
 * service. It lives in main code (package {@code org.xlbridge.libvirtd}, shipped in the eventloop jar, the
 * one module every other depends on) because the soak runs from the application jar, not from tests; it is
 * a package of its own because it is a process supervisor, not part of any event loop.
 *
 * <p>Usage:
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
 * is a crash (SIGKILL), for tests of a daemon that goes away; {@link #restart()} is a crash followed by a
 * new daemon on the same socket path (the same URI), as a supervisor would restart a crashed service. A
 * restarted daemon starts empty: the test driver's domains live in the daemon's memory only.
 *
 * <p>Locking: {@code this} guards the lifecycle ({@link #restart()}, {@link #kill()}, {@link #close()},
 * the shutdown hook), so a restart and a close never interleave. {@link #process} is volatile so that
 * {@link #isAlive()}, {@link #pid()} and {@link #toString()} read the current daemon from any thread
 * without the lock; {@link #closed} and {@link #restarts} are written under the lock, read anywhere. It
 * needs nothing but the JDK and SLF4J.
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
    /** The error when there is no daemon to run. */
    public static final String MISSING =
            "libvirtd not found on PATH or in /usr/sbin: install the Debian package libvirt-daemon";

    /** The running daemon (the latest one after a restart). Written under {@code this}. */
    private volatile Process process;
    /** Set by {@link #close()} under {@code this}: no restart after it. */
    private volatile boolean closed;
    /** Daemons started after the first one. Written under {@code this}. */
    private volatile int restarts;
    private final Path exe;
    private final Path dir;
    private final Path config;
    private final Path drivers;
    private final Path socket;
    private final Path log;
    private final Thread shutdownHook;

    private PrivateLibvirtd(Path exe, Path dir, Path config, Path drivers, Path socket, Path log) {
        this.exe = exe;
        this.dir = dir;
        this.config = config;
        this.drivers = drivers;
        this.socket = socket;
        this.log = log;
        this.shutdownHook = new Thread(this::stopQuietly, "private-libvirtd-" + dir.getFileName() + "-stopper");
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
        if (buildDir == null) {
            throw new IllegalArgumentException("null build directory for the private libvirtd");
        }
        Path exe = require(binary());
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
        PrivateLibvirtd daemon = new PrivateLibvirtd(exe, dir, config, drivers, socket, log);
        // The hook first: a daemon is never running without something that stops it at JVM exit.
        Runtime.getRuntime().addShutdownHook(daemon.shutdownHook);
        synchronized (daemon) {
            try {
                daemon.launch();
            } catch (IOException | RuntimeException | Error e) {
                daemon.close();
                throw e;
            }
        }
        return daemon;
    }

    /** The binary, or the error that names the package to install. */
    static Path require(Optional<Path> binary) throws IOException {
        return binary.orElseThrow(() -> new IOException(MISSING));
    }

    /** Starts a daemon process on this object's files and waits for its socket. Called under {@code this}. */
    private void launch() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(exe.toString(), "--config", config.toString(), "--pid-file",
                dir.resolve("libvirtd.pid").toString());
        pb.environment().put("LIBVIRT_DRIVER_DIR", drivers.toString());
        pb.redirectErrorStream(true);
        // Appended: the log of a restarted daemon keeps what the killed one wrote.
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        process = pb.start();
        awaitSocket();
        LOG.info("private libvirtd {} listening on {}", process.pid(), socket);
    }

    /**
     * Simulates a crash and a supervisor's restart: kills the daemon with SIGKILL, waits until it is gone,
     * then starts a new one on the same socket path (so the same {@link #testUri()}) and returns once it
     * accepts connections. Clients of the old daemon see their connection end (EOF) and must reconnect.
     *
     * @throws IllegalStateException if the daemon was closed, the old one survives SIGKILL, or the new one
     *                               does not listen within the bound (the message carries the log)
     * @throws IOException           if the new process cannot be started
     */
    public synchronized void restart() throws IOException {
        if (closed) {
            throw new IllegalStateException("private libvirtd at " + socket + " is closed: cannot restart it");
        }
        Process old = process;
        old.destroyForcibly();
        if (!waitForExit(old, BOUND)) {
            throw new IllegalStateException("libvirtd " + old.pid() + " still running " + BOUND.toSeconds()
                    + " s after SIGKILL");
        }
        // The killed daemon left its socket file; the new one would replace it, but removing it now means
        // that awaitSocket sees only the new daemon's socket.
        Files.deleteIfExists(socket);
        restarts++;
        try {
            launch();
        } catch (IOException | RuntimeException | Error e) {
            stopQuietly();
            throw e;
        }
        LOG.info("private libvirtd restarted ({} -> {}, restart {})", old.pid(), process.pid(), restarts);
    }

    /** How many times {@link #restart()} started a new daemon. */
    public int restarts() {
        return restarts;
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
    public synchronized void kill() {
        process.destroyForcibly();
        waitForExit(process, BOUND);
    }

    /** Stops the daemon by its pid (SIGTERM, SIGKILL after the bound) and waits for it to be gone. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs (or ran) stopQuietly itself
        }
        Process p = process;
        if (p != null && p.isAlive()) {
            throw new IllegalStateException("libvirtd " + p.pid() + " is still running after SIGKILL");
        }
    }

    private synchronized void stopQuietly() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        if (!waitForExit(p, BOUND)) {
            LOG.warn("libvirtd {} ignored SIGTERM for {} s; killing it", p.pid(), BOUND.toSeconds());
            p.destroyForcibly();
            waitForExit(p, BOUND);
        }
    }

    private static boolean waitForExit(Process process, Duration bound) {
        try {
            return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    @Override
    public String toString() {
        Process p = process;
        return "PrivateLibvirtd[pid=" + (p == null ? "none" : p.pid()) + ", socket=" + socket
                + (p != null && p.isAlive() ? "" : ", exited") + ", restarts=" + restarts + "]";
    }
}
