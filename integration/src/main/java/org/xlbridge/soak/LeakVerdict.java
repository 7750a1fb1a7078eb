package org.xlbridge.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether one sampled series grew during a soak (issue 14, leak verdicts): see {@link LeakSeries} for the
 * rule and the bounds, and {@link #judge(List, Duration)}.
 *
 * @param series       the series
 * @param outcome      flat, growing, or unchecked (too few samples, or the series was not measured)
 * @param firstMean    mean of the first third of the post-warm-up samples, its median for a series
 *                     {@linkplain LeakSeries#judgedByMedian() judged by medians} (NaN when unchecked)
 * @param lastMean     the same of the last third (NaN when unchecked)
 * @param samples      post-warm-up samples judged
 * @param message      one line for people: the verdict, both means and the bound, or why unchecked
 */
public record LeakVerdict(LeakSeries series, Outcome outcome, double firstMean, double lastMean, int samples,
        String message) {

    /** Fewest post-warm-up samples a verdict needs: two in each third. */
    public static final int MIN_SAMPLES = 6;

    /** A verdict's outcome. */
    public enum Outcome {
        /** Within the bound. */
        FLAT("flat"),
        /** Grew past both bounds: fails the run. */
        GROWING("growing"),
        /**
         * Not judged: fewer than {@link #MIN_SAMPLES} samples after warm-up, or the series was not measured
         * (negative values: no /proc, no lateness probe). Does not fail the run; the report flags it.
         */
        UNCHECKED("unchecked");

        private final String key;

        Outcome(String key) {
            this.key = key;
        }

        /** The value in the JSON's {@code leaks} object. */
        public String key() {
            return key;
        }
    }

    /** True when this series fails the run. */
    public boolean growing() {
        return outcome == Outcome.GROWING;
    }

    /**
     * Judges every {@link LeakSeries} of {@code samples}: the samples taken before {@code warmUp}
     * (by {@link SoakSample#elapsedMs()}) are left out; of the rest, the first third's mean is compared
     * with the last third's ({@code n / 3} samples each, the middle ones only separate them).
     *
     * @throws IllegalArgumentException for a null list or warm-up, or a negative warm-up
     */
    public static List<LeakVerdict> judge(List<SoakSample> samples, Duration warmUp) {
        if (samples == null || warmUp == null || warmUp.isNegative()) {
            throw new IllegalArgumentException("leak verdicts: " + (samples == null ? "null samples"
                    : warmUp == null ? "null warm-up" : "negative warm-up " + warmUp));
        }
        long warmMs = warmUp.toMillis();
        List<SoakSample> after = new ArrayList<>();
        for (SoakSample s : samples) {
            if (s.elapsedMs() >= warmMs) {
                after.add(s);
            }
        }
        List<LeakVerdict> out = new ArrayList<>();
        for (LeakSeries series : LeakSeries.values()) {
            out.add(judge(series, after));
        }
        return out;
    }

    /** Judges one series over samples already past the warm-up. */
    static LeakVerdict judge(LeakSeries series, List<SoakSample> after) {
        int n = after.size();
        if (n < MIN_SAMPLES) {
            return new LeakVerdict(series, Outcome.UNCHECKED, Double.NaN, Double.NaN, n, String.format(Locale.ROOT,
                    "%s unchecked: %d samples after warm-up, at least %d needed (run longer or sample more often)",
                    series.key(), n, MIN_SAMPLES));
        }
        for (SoakSample s : after) {
            if (series.value(s) < 0) {
                return new LeakVerdict(series, Outcome.UNCHECKED, Double.NaN, Double.NaN, n,
                        series.key() + " unchecked: not measured in this run");
            }
        }
        int third = n / 3;
        double first = series.judgedByMedian() ? median(series, after, 0, third) : mean(series, after, 0, third);
        double last = series.judgedByMedian() ? median(series, after, n - third, n) : mean(series, after, n - third, n);
        String central = series.judgedByMedian() ? "median" : "mean";
        double growth = last - first;
        double relative = first * series.relativeBound();
        boolean flat = growth <= series.absoluteBound() || growth <= relative;
        String span = String.format(Locale.ROOT, "first third (%s..%s s) %s %s, last third (%s..%s s) %s %s",
                seconds(after.get(0)), seconds(after.get(third - 1)), central, fmt(series, first),
                seconds(after.get(n - third)), seconds(after.get(n - 1)), central, fmt(series, last));
        String message = String.format(Locale.ROOT, "%s %s: %s, %s%s (bound +%s or +%d%%)", series.key(),
                flat ? "flat" : "growing", span, growth >= 0 ? "+" : "", fmt(series, growth),
                fmt(series, series.absoluteBound()), Math.round(series.relativeBound() * 100));
        return new LeakVerdict(series, flat ? Outcome.FLAT : Outcome.GROWING, first, last, n, message);
    }

    private static double median(LeakSeries series, List<SoakSample> s, int from, int to) {
        double[] v = new double[to - from];
        for (int i = from; i < to; i++) {
            v[i - from] = series.value(s.get(i));
        }
        java.util.Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    private static double mean(LeakSeries series, List<SoakSample> s, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += series.value(s.get(i));
        }
        return sum / (to - from);
    }

    private static String seconds(SoakSample s) {
        return String.format(Locale.ROOT, "%.0f", s.elapsedMs() / 1000.0);
    }

    /** A value of {@code series} for people: heap in MiB, lateness in ms, counts with one decimal. */
    static String fmt(LeakSeries series, double v) {
        return switch (series) {
            case HEAP -> String.format(Locale.ROOT, "%.2f MiB", v / (1024.0 * 1024.0));
            case LOOP_LATENESS_P99 -> String.format(Locale.ROOT, "%.3f ms", v / 1000.0);
            default -> String.format(Locale.ROOT, "%.1f", v);
        };
    }
}
