package org.xlbridge.soak;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The soak's plots: one PNG per chart (heap, fds, threads, registrations, lateness p99, operations per
 * second) over time, with JFreeChart. The warm-up is shaded and each chart's subtitle carries the leak
 * verdicts of its series.
 *
 * <p>Headless: the class sets {@code java.awt.headless=true} before AWT is touched, unless the property
 * was set already (so nothing needs a display). Text needs fonts: the JDK's AWT asks fontconfig for
 * them, so a machine needs fontconfig's library and at least one font (Debian:
 * {@code libfontconfig1 fonts-dejavu-core}; Debian's own openjdk-17-jre-headless depends on both, a JDK
 * from elsewhere may not bring them); without, {@link #write} fails with the JDK's error ("No physical
 * fonts found", "Fontconfig head is null"), wrapped in an {@link IOException} that says which packages
 * to install, and leaves no empty PNG behind.
 */
public final class SoakPlots {
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Default directory of the PNG files. */
    public static final Path DEFAULT_DIR = Path.of("soak-plots");

    /** Width and height of each PNG, pixels. */
    static final int WIDTH = 1000;
    static final int HEIGHT = 520;

    private SoakPlots() {
    }

    /**
     * Writes the six charts of {@code samples} into {@code dir} (created if missing; files of the same
     * names are replaced): {@code heap.png}, {@code fds.png}, {@code threads.png},
     * {@code registrations.png}, {@code lateness.png}, {@code operations.png}. A series not measured
     * (negative values: fds off Linux, lateness without a probe) gets no chart.
     *
     * @param title    the run's short description for each chart's title, e.g. "embedded loop, seed 42"
     * @param warmUpMs the warm-up, shaded (0: none)
     * @param verdicts the leak verdicts, shown in the subtitles (may be empty)
     * @return the files written, in the order above
     * @throws IOException if a file cannot be written, or the JDK cannot render text (no fonts)
     * @throws IllegalArgumentException for null arguments or no samples
     */
    public static List<Path> write(List<SoakSample> samples, Path dir, String title, long warmUpMs,
            List<LeakVerdict> verdicts) throws IOException {
        if (samples == null || samples.isEmpty() || dir == null || verdicts == null) {
            throw new IllegalArgumentException("soak plots: " + (samples == null || samples.isEmpty()
                    ? "no samples" : dir == null ? "null directory" : "null verdicts"));
        }
        Files.createDirectories(dir);
        Map<LeakSeries, LeakVerdict> byKey = new EnumMap<>(LeakSeries.class);
        for (LeakVerdict v : verdicts) {
            byKey.put(v.series(), v);
        }
        boolean minutes = samples.get(samples.size() - 1).elapsedMs() > 20 * 60_000L;
        Axis x = new Axis(minutes ? "elapsed (min)" : "elapsed (s)", minutes ? 60_000.0 : 1000.0);
        String t = title == null || title.isBlank() ? "" : " — " + title;
        List<Path> files = new ArrayList<>();
        try {
            chart(files, dir.resolve("heap.png"), "Heap used after GC" + t, "heap (MiB)", x, warmUpMs, samples,
                    verdictLine(byKey, LeakSeries.HEAP),
                    new Line("heap used", s -> s.heapUsedBytes() / (1024.0 * 1024.0)));
            if (measured(samples, LeakSeries.FDS)) {
                chart(files, dir.resolve("fds.png"), "Open file descriptors" + t, "fds (count)", x, warmUpMs,
                        samples, verdictLine(byKey, LeakSeries.FDS), new Line("open fds", s -> s.openFds()));
            }
            chart(files, dir.resolve("threads.png"), "Live threads" + t, "threads (count)", x, warmUpMs, samples,
                    verdictLine(byKey, LeakSeries.THREADS), new Line("live threads", s -> s.liveThreads()));
            chart(files, dir.resolve("registrations.png"), "Registrations and operations in flight" + t,
                    "count", x, warmUpMs, samples,
                    verdictLine(byKey, LeakSeries.LOOP_REGISTRATIONS, LeakSeries.BRIDGE_REGISTRATIONS,
                            LeakSeries.BUSY_NEXI, LeakSeries.PENDING_OPERATIONS),
                    new Line("loop registrations", s -> s.loopRegistrations()),
                    new Line("bridge registrations", s -> s.bridgeRegistrations()),
                    new Line("busy nexi", s -> s.busyNexi()),
                    new Line("pending operations", s -> s.pendingOperations()));
            if (samples.stream().anyMatch(s -> s.latenessP99Micros() >= 0)) {
                chart(files, dir.resolve("lateness.png"), "Timer lateness, p99 per sample interval" + t,
                        "lateness p99 (ms)", x, warmUpMs, samples, verdictLine(byKey, LeakSeries.LOOP_LATENESS_P99),
                        new Line("loop timer lateness p99", s -> s.latenessP99Micros() / 1000.0),
                        new Line("control thread lateness p99 (the machine)",
                                s -> s.controlLatenessP99Micros() < 0 ? Double.NaN : s.controlLatenessP99Micros() / 1000.0),
                        new Line("loop's own share (judged)",
                                s -> s.loopLatenessP99Micros() < 0 ? Double.NaN : s.loopLatenessP99Micros() / 1000.0));
            }
            chart(files, dir.resolve("operations.png"), "Operations per second" + t, "operations/s", x, warmUpMs,
                    samples, "", new Line("operations/s", SoakSample::operationsPerSecond));
        } catch (Error | RuntimeException e) {
            if (isFontProblem(e)) {
                throw new IOException("soak plots: the JDK found no font to draw text with (" + rootCause(e)
                        + "); install fontconfig's library and a font, on Debian: apt-get install libfontconfig1"
                        + " fonts-dejavu-core", e);
            }
            throw e;
        }
        return files;
    }

    private record Axis(String label, double msPerUnit) { }

    private record Line(String name, ToDoubleFunction<SoakSample> value) { }

    private static boolean measured(List<SoakSample> samples, LeakSeries series) {
        return samples.stream().allMatch(s -> series.value(s) >= 0);
    }

    private static String verdictLine(Map<LeakSeries, LeakVerdict> byKey, LeakSeries... series) {
        StringBuilder b = new StringBuilder();
        for (LeakSeries s : series) {
            LeakVerdict v = byKey.get(s);
            if (v != null) {
                b.append(b.length() == 0 ? "leak verdict: " : ", ").append(s.key()).append(' ')
                        .append(v.outcome().key());
            }
        }
        return b.toString();
    }

    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e)};

    private static void chart(List<Path> files, Path file, String title, String yLabel, Axis x, long warmUpMs,
            List<SoakSample> samples, String subtitle, Line... lines) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Line l : lines) {
            XYSeries s = new XYSeries(l.name(), false, true);
            for (SoakSample sample : samples) {
                s.add(sample.elapsedMs() / x.msPerUnit(), l.value().applyAsDouble(sample));
            }
            data.addSeries(s);
        }
        NumberAxis xAxis = new NumberAxis(x.label());
        xAxis.setAutoRangeIncludesZero(true);
        NumberAxis yAxis = new NumberAxis(yLabel);
        yAxis.setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, samples.size() <= 120);
        for (int i = 0; i < lines.length; i++) {
            renderer.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2.0f));
        }
        XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        if (warmUpMs > 0) {
            IntervalMarker warm = new IntervalMarker(0, warmUpMs / x.msPerUnit(), new Color(0xeeeeee));
            warm.setLabel("warm-up");
            warm.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            // Inside the band, from its top left corner (the default centres the label on the edge and
            // clips it).
            warm.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            warm.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            warm.setLabelOffset(new RectangleInsets(4, 4, 4, 4));
            plot.addDomainMarker(warm, Layer.BACKGROUND);
        }
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, lines.length > 1);
        chart.setBackgroundPaint(Color.WHITE);
        if (!subtitle.isEmpty()) {
            TextTitle sub = new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            chart.addSubtitle(sub);
        }
        if (chart.getLegend() != null) {
            chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        }
        // Render first, then write a temporary file and move it into place: a failure (no fonts) leaves
        // neither an empty PNG nor a half-written one behind.
        BufferedImage image = chart.createBufferedImage(WIDTH, HEIGHT);
        // A sibling, not Files.createTempFile: that one is private to the user (0600), the PNG is for people.
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ChartUtils.writeBufferedImageAsPNG(out, image);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        files.add(file);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    /** True if {@code e} (or a cause) is the JDK failing to find or load a font. */
    static boolean isFontProblem(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (m.contains("font") || c.getClass().getName().contains("Font")) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }
}
