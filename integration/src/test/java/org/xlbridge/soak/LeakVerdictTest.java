package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeakVerdictTest {

    private static LeakVerdict verdict(List<SoakSample> samples, LeakSeries series, Duration warmUp) {
        return LeakVerdict.judge(samples, warmUp).stream().filter(v -> v.series() == series).findFirst()
                .orElseThrow();
    }

    private static LeakVerdict verdict(List<SoakSample> samples, LeakSeries series) {
        return verdict(samples, series, Duration.ZERO);
    }

    @Test
    void constantSeriesAreAllFlat() {
        List<LeakVerdict> all = LeakVerdict.judge(Samples.flat(30), Duration.ZERO);
        assertThat(all).hasSize(LeakSeries.values().length);
        assertThat(all).allSatisfy(v -> {
            assertThat(v.outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
            assertThat(v.samples()).isEqualTo(30);
        });
    }

    @Test
    void noisyButFlatHeapIsFlat() {
        // 40 MiB with 1.5 MiB of noise: the thirds' means differ by far less than 5 % (2 MiB).
        List<SoakSample> s = Samples.build(60, LeakSeries.HEAP, Samples.noisy(Samples.HEAP, 1.5 * 1024 * 1024, 7));
        assertThat(verdict(s, LeakSeries.HEAP).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
    }

    @Test
    void noisyLatenessIsFlat() {
        // p99 lateness jumping between 0.2 and 3 ms sample to sample, no trend.
        List<SoakSample> s = Samples.build(60, LeakSeries.LOOP_LATENESS_P99, i -> i % 7 == 3 ? 3000 : 200 + (i % 5) * 40);
        assertThat(verdict(s, LeakSeries.LOOP_LATENESS_P99).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
    }

    @Test
    void latenessThatDoublesAndKeepsGoingIsCaughtButAShiftByAThirdIsNot() {
        // a loop degrading: 2 ms at the start, +0.3 ms a sample (20 ms at the end)
        List<SoakSample> degrading = Samples.build(60, LeakSeries.LOOP_LATENESS_P99, i -> 2000 + i * 300.0);
        assertThat(verdict(degrading, LeakSeries.LOOP_LATENESS_P99).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
        // the scheduling of a shared machine: 27 ms, then 35 ms for the rest of the run (+30%)
        List<SoakSample> shifted = Samples.build(60, LeakSeries.LOOP_LATENESS_P99, i -> i < 30 ? 27_000 : 35_000);
        assertThat(verdict(shifted, LeakSeries.LOOP_LATENESS_P99).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
    }

    // The CI flake of a loaded machine: the loop's lateness went 42 -> 64 ms because the machine's did.
    @Test
    void latenessThatFollowsTheMachinesNoiseIsFlatButTheLoopsOwnGrowthIsCaught() {
        List<SoakSample> machine = new java.util.ArrayList<>();
        List<SoakSample> loopSlows = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            long control = 40_000 + i * 500L; // the machine: 40 ms growing to 70 ms (other builds starting)
            machine.add(sample(i, control + 2_000, control));
            loopSlows.add(sample(i, 40_000 + 2_000 + i * 500L, 40_000)); // same lateness, quiet machine
        }
        assertThat(verdict(machine, LeakSeries.LOOP_LATENESS_P99).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        assertThat(verdict(loopSlows, LeakSeries.LOOP_LATENESS_P99).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
        // without a control measurement the series is not measured, never judged on raw lateness
        List<SoakSample> noControl = List.of(new SoakSample(1000, 1, 1, 1, 1, 1, 1, 1, 5000, 1.0, 1));
        assertThat(noControl.get(0).loopLatenessP99Micros()).isEqualTo(-1);
    }

    // A clean CI run failed on three hiccups: the first third's lateness was 0, the last third's mean 8.2 ms.
    // The thirds of lateness are compared by medians: a few bad intervals do not move them, a trend does.
    @Test
    void aFewLateIntervalsAreNotATrendButASteadyRiseIs() {
        List<SoakSample> hiccups = Samples.build(21, LeakSeries.LOOP_LATENESS_P99,
                i -> i == 15 || i == 17 || i == 19 ? 20_000 : 0);
        assertThat(verdict(hiccups, LeakSeries.LOOP_LATENESS_P99).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        assertThat(verdict(hiccups, LeakSeries.LOOP_LATENESS_P99).message()).contains("median");
        List<SoakSample> rising = Samples.build(21, LeakSeries.LOOP_LATENESS_P99, i -> i * 1_000.0);
        assertThat(verdict(rising, LeakSeries.LOOP_LATENESS_P99).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
        // heap keeps the mean: a leak that shows in a few samples of a third still counts
        assertThat(LeakSeries.HEAP.judgedByMedian()).isFalse();
    }

    private static SoakSample sample(int i, long lateness, long control) {
        return new SoakSample((i + 1) * 1000L, Samples.HEAP, 24, 40, 200, 150, 30, 10, lateness, 10_000.0,
                (i + 1) * 10_000L, control);
    }

    @Test
    void slowlyGrowingHeapIsCaughtAndNamed() {
        // 64 KiB a sample: 3.75 MiB over 60 samples, invisible from one sample to the next.
        List<SoakSample> s = Samples.build(60, LeakSeries.HEAP, i -> Samples.HEAP + i * 64.0 * 1024);
        LeakVerdict v = verdict(s, LeakSeries.HEAP);
        assertThat(v.outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
        assertThat(v.growing()).isTrue();
        assertThat(v.lastMean()).isGreaterThan(v.firstMean());
        assertThat(v.message()).startsWith("heap growing").contains("MiB").contains("first third")
                .contains("last third");
        // The other series stay flat: the verdict names only the one that grew.
        assertThat(LeakVerdict.judge(s, Duration.ZERO)).filteredOn(LeakVerdict::growing).hasSize(1);
    }

    @Test
    void slowlyGrowingFdsAndThreadsAreCaughtThroughNoise() {
        // One fd every 2 samples for 60 samples (+30), with +-3 of jitter.
        List<SoakSample> fds = Samples.build(60, LeakSeries.FDS, i -> 40 + i / 2 + (i * 5) % 7 - 3);
        assertThat(verdict(fds, LeakSeries.FDS).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
        // One thread every 6 samples: +10 over the run.
        List<SoakSample> threads = Samples.build(60, LeakSeries.THREADS, i -> 24 + i / 6);
        assertThat(verdict(threads, LeakSeries.THREADS).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
        // Pending operations that pile up: 10 -> 300.
        List<SoakSample> pending = Samples.build(30, LeakSeries.PENDING_OPERATIONS, i -> 10 + i * 10);
        assertThat(verdict(pending, LeakSeries.PENDING_OPERATIONS).outcome())
                .isEqualTo(LeakVerdict.Outcome.GROWING);
    }

    @Test
    void smallCountJitterIsNotFlagged() {
        // Threads 10..12 and fds 20..28, loop registrations 0..60: far more than 5 % of their means, but
        // within the absolute bounds, and the last third happens to sit high.
        List<SoakSample> threads = Samples.build(30, LeakSeries.THREADS, i -> i < 20 ? 10 + i % 2 : 11 + i % 2);
        assertThat(verdict(threads, LeakSeries.THREADS).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        List<SoakSample> fds = Samples.build(30, LeakSeries.FDS, i -> i < 20 ? 20 + i % 3 : 24 + i % 5);
        assertThat(verdict(fds, LeakSeries.FDS).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        List<SoakSample> regs = Samples.build(30, LeakSeries.LOOP_REGISTRATIONS, i -> (i * 37) % 61);
        assertThat(verdict(regs, LeakSeries.LOOP_REGISTRATIONS).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        List<SoakSample> nexi = Samples.build(30, LeakSeries.BUSY_NEXI, i -> i % 4 == 0 ? 0 : 40);
        assertThat(verdict(nexi, LeakSeries.BUSY_NEXI).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
    }

    @Test
    void aRestartSpikeThatReturnsIsFlat() {
        // A libvirtd restart at sample 40 of 60: +12 fds and +6 threads for two samples, then back.
        List<SoakSample> fds = Samples.build(60, LeakSeries.FDS, i -> i == 40 || i == 41 ? 52 : 40);
        assertThat(verdict(fds, LeakSeries.FDS).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        List<SoakSample> threads = Samples.build(60, LeakSeries.THREADS, i -> i == 40 || i == 41 ? 30 : 24);
        assertThat(verdict(threads, LeakSeries.THREADS).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        // A state restart that drops the heap and lets it come back to its level.
        List<SoakSample> heap = Samples.build(60, LeakSeries.HEAP,
                i -> i >= 25 && i < 30 ? Samples.HEAP / 2 : Samples.HEAP);
        assertThat(verdict(heap, LeakSeries.HEAP).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
    }

    @Test
    void aStepThatStaysIsGrowing() {
        // The same fd step, but the fds are never closed again: a leak per restart.
        List<SoakSample> fds = Samples.build(60, LeakSeries.FDS, i -> i >= 20 ? 52 : 40);
        assertThat(verdict(fds, LeakSeries.FDS).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
    }

    @Test
    void largeCountsUseTheRelativeBound() {
        // 10,000 registrations growing to 10,400 (+4 %): flat; to 11,000 (+10 %): growing.
        List<SoakSample> ok = Samples.build(30, LeakSeries.LOOP_REGISTRATIONS, i -> i < 20 ? 10_000 : 10_400);
        assertThat(verdict(ok, LeakSeries.LOOP_REGISTRATIONS).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        List<SoakSample> grew = Samples.build(30, LeakSeries.LOOP_REGISTRATIONS, i -> i < 20 ? 10_000 : 11_000);
        assertThat(verdict(grew, LeakSeries.LOOP_REGISTRATIONS).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
    }

    @Test
    void aFallingSeriesIsFlat() {
        List<SoakSample> s = Samples.build(30, LeakSeries.HEAP, i -> Samples.HEAP * 2 - i * 1024.0 * 1024);
        assertThat(verdict(s, LeakSeries.HEAP).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
    }

    @Test
    void theWarmUpIsLeftOut() {
        // The heap climbs for the first 10 s (class loading, pools filling), then stays.
        List<SoakSample> s = Samples.build(40, LeakSeries.HEAP,
                i -> i < 10 ? Samples.HEAP / 4 + i * (Samples.HEAP * 0.075) : Samples.HEAP);
        assertThat(verdict(s, LeakSeries.HEAP, Duration.ZERO).outcome()).isEqualTo(LeakVerdict.Outcome.GROWING);
        LeakVerdict v = verdict(s, LeakSeries.HEAP, Duration.ofSeconds(11));
        assertThat(v.outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
        assertThat(v.samples()).isEqualTo(30);
    }

    @Test
    void tooFewSamplesAfterWarmUpAreUncheckedNotGrowing() {
        List<SoakSample> s = Samples.build(12, LeakSeries.FDS, i -> 40 + i * 100);
        List<LeakVerdict> all = LeakVerdict.judge(s, Duration.ofSeconds(8));
        assertThat(all).allSatisfy(v -> {
            assertThat(v.outcome()).isEqualTo(LeakVerdict.Outcome.UNCHECKED);
            assertThat(v.growing()).isFalse();
            assertThat(v.samples()).isEqualTo(5);
            assertThat(v.message()).contains("5 samples after warm-up").contains("at least 6");
        });
        // Six are enough, and then the growth is seen.
        assertThat(verdict(s, LeakSeries.FDS, Duration.ofSeconds(7)).outcome())
                .isEqualTo(LeakVerdict.Outcome.GROWING);
        assertThat(LeakVerdict.judge(new ArrayList<>(), Duration.ZERO))
                .allSatisfy(v -> assertThat(v.outcome()).isEqualTo(LeakVerdict.Outcome.UNCHECKED));
    }

    @Test
    void anUnmeasuredSeriesIsUnchecked() {
        List<SoakSample> s = Samples.build(30, LeakSeries.FDS, i -> -1);
        LeakVerdict v = verdict(s, LeakSeries.FDS);
        assertThat(v.outcome()).isEqualTo(LeakVerdict.Outcome.UNCHECKED);
        assertThat(v.message()).contains("not measured");
        assertThat(verdict(s, LeakSeries.THREADS).outcome()).isEqualTo(LeakVerdict.Outcome.FLAT);
    }

    @Test
    void badInputIsRefusedByName() {
        assertThatThrownBy(() -> LeakVerdict.judge(null, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null samples");
        assertThatThrownBy(() -> LeakVerdict.judge(List.of(), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative warm-up");
    }
}
