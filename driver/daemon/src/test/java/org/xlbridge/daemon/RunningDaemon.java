package org.xlbridge.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.xlbridge.daemon.server.Daemon;
import org.xlbridge.daemon.server.DaemonConfig;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.EventLoop;

/**
 * A daemon for a test, in this JVM: the loop on a thread of its own, a driver manager on it, the daemon on
 * a socket in a fresh directory under target/. {@link #close()} stops it in libvirt's order (daemon's
 * clients, driver connections and states, then the loop) and removes the directory's socket.
 */
public final class RunningDaemon implements AutoCloseable {
    private final EventLoop loop;
    private final Thread loopThread;
    private final DriverManager manager;
    private final Daemon daemon;
    private final Path dir;

    private RunningDaemon(EventLoop loop, String hostUri, UnaryOperator<DaemonConfig> tweak) throws IOException {
        this.loop = loop;
        this.dir = Files.createTempDirectory(Path.of("target").toAbsolutePath().normalize().toFile().exists()
                ? Path.of("target") : Path.of(System.getProperty("java.io.tmpdir")), "daemon-");
        this.loopThread = new Thread(loop::run, "xlbridge-loop");
        loopThread.setDaemon(true);
        loopThread.start();
        this.manager = new DriverManager(DriverEnvironment.of(loop));
        DaemonConfig cfg = tweak.apply(DaemonConfig.of(dir.resolve("xl.sock").toAbsolutePath(),
                dir.resolve("xl-ro.sock").toAbsolutePath(), hostUri));
        Daemon d = new Daemon(loop, manager, cfg);
        try {
            d.start();
        } catch (IOException | RuntimeException e) {
            stopLoop();
            throw e;
        }
        this.daemon = d;
    }

    public static RunningDaemon start(EventLoop loop, String hostUri) throws IOException {
        return new RunningDaemon(loop, hostUri, c -> c);
    }

    public static RunningDaemon start(EventLoop loop, String hostUri, UnaryOperator<DaemonConfig> tweak)
            throws IOException {
        return new RunningDaemon(loop, hostUri, tweak);
    }

    /** {@code xen+unix:///system?socket=...} for the read-write socket. */
    public String uri() {
        return "xen+unix:///system?socket=" + daemon.config().socket();
    }

    /** The same for the read-only socket. */
    public String readOnlyUri() {
        return "xen+unix:///system?socket=" + daemon.config().readOnlySocket();
    }

    public Daemon daemon() {
        return daemon;
    }

    public DriverManager manager() {
        return manager;
    }

    public EventLoop loop() {
        return loop;
    }

    public Thread loopThread() {
        return loopThread;
    }

    public Path socket() {
        return daemon.config().socket();
    }

    @Override
    public void close() {
        try {
            daemon.stop(Duration.ofSeconds(10).toMillis());
            manager.close();
        } finally {
            stopLoop();
        }
    }

    private void stopLoop() {
        loop.stop();
        try {
            loopThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.close();
    }
}
