package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakPlotsTest {

    /** 90 samples that look like a run: a warm-up ramp, noise, a restart spike. */
    static List<SoakSample> run() {
        List<SoakSample> out = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            double warm = Math.min(1.0, i / 10.0);
            long heap = (long) ((20 + 18 * warm + (i * 7 % 5)) * 1024 * 1024);
            int spike = i == 50 || i == 51 ? 1 : 0;
            out.add(new SoakSample((i + 1) * 1000L, heap, 24 + 4 * spike, 40 + 10 * spike, 180 + (i * 13 % 40),
                    120 + (i * 11 % 30), 20 + (i * 3 % 9), 8 + (i % 6), 250 + (i * 37 % 400) + 4000L * spike,
                    40_000 + (i * 997 % 5000), (i + 1) * 40_000L));
        }
        return out;
    }

    @Test
    void writesOnePngPerChart(@TempDir Path dir) throws Exception {
        List<SoakSample> samples = run();
        List<LeakVerdict> verdicts = LeakVerdict.judge(samples, Duration.ofSeconds(10));
        Path out = dir.resolve("plots");
        List<Path> files = SoakPlots.write(samples, out, "embedded loop, seed 42", 10_000, verdicts);
        assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("heap.png", "fds.png",
                "threads.png", "registrations.png", "lateness.png", "operations.png");
        for (Path f : files) {
            assertThat(f.getParent()).isEqualTo(out);
            BufferedImage img = ImageIO.read(f.toFile());
            assertThat(img).as(f.toString()).isNotNull();
            assertThat(img.getWidth()).isEqualTo(SoakPlots.WIDTH);
            assertThat(img.getHeight()).isEqualTo(SoakPlots.HEIGHT);
            assertThat(distinctColours(img)).as("a drawn chart, not a blank image: " + f).isGreaterThan(4);
        }
        assertThat(System.getProperty("java.awt.headless")).isEqualTo("true");
    }

    @Test
    void unmeasuredSeriesGetNoChart(@TempDir Path dir) throws Exception {
        List<SoakSample> samples = new ArrayList<>();
        for (SoakSample s : run()) {
            samples.add(new SoakSample(s.elapsedMs(), s.heapUsedBytes(), s.liveThreads(), -1, s.loopRegistrations(),
                    s.bridgeRegistrations(), s.busyNexi(), s.pendingOperations(), -1, s.operationsPerSecond(),
                    s.operations()));
        }
        List<Path> files = SoakPlots.write(samples, dir, "", 0, List.of());
        assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("heap.png", "threads.png",
                "registrations.png", "operations.png");
        assertThat(Files.exists(dir.resolve("fds.png"))).isFalse();
    }

    @Test
    void noSamplesIsRefused(@TempDir Path dir) {
        assertThatThrownBy(() -> SoakPlots.write(List.of(), dir, "", 0, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no samples");
    }

    private static int distinctColours(BufferedImage img) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                seen.add(img.getRGB(x, y));
                if (seen.size() > 50) {
                    return seen.size();
                }
            }
        }
        return seen.size();
    }
}
