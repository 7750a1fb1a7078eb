package org.xlbridge.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns the CSV result file of a JMH run of {@link TimerBench} and {@link HookRoundTripBench}
 * ({@code -rf csv -rff FILE}) into the Markdown tables of {@code docs/benchmarks.md}: each measurement of
 * the embedded loop beside libvirt's loop and {@link java.util.concurrent.ScheduledThreadPoolExecutor},
 * with ratios, and each performance target of the specification checked against the numbers.
 *
 * <p>Usage: {@code java -cp xlbridge-bench.jar org.xlbridge.bench.BenchReport jmh-result.csv}
 */
public final class BenchReport {
    private static final String EMBEDDED = "Embedded";
    private static final String LIBVIRT = "Libvirt";
    private static final String STPE = "Stpe";

    private BenchReport() {
    }

    /** Prints the report for the CSV file named by the only argument. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: BenchReport <jmh-result.csv>");
            System.exit(2);
        }
        System.out.print(render(parse(Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8))));
    }

    /** One JMH result row. */
    record Row(String bench, String group, String method, int size, double score, double error, String unit) {
    }

    static List<Row> parse(List<String> lines) {
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("empty JMH result file");
        }
        List<String> header = splitCsv(lines.get(0));
        int benchmark = header.indexOf("Benchmark");
        int score = header.indexOf("Score");
        int error = header.indexOf("Score Error (99.9%)");
        int unit = header.indexOf("Unit");
        int size = header.indexOf("Param: size");
        if (benchmark < 0 || score < 0 || error < 0 || unit < 0) {
            throw new IllegalArgumentException("not a JMH CSV result file (header " + header + ")");
        }
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = splitCsv(line);
            String[] name = cells.get(benchmark).split("\\.");
            if (name.length < 3) {
                continue;
            }
            String sizeCell = size >= 0 && size < cells.size() ? cells.get(size) : "";
            rows.add(new Row(name[name.length - 3], name[name.length - 2], name[name.length - 1],
                    sizeCell.isEmpty() ? 0 : Integer.parseInt(sizeCell), number(cells.get(score)),
                    number(cells.get(error)), cells.get(unit)));
        }
        return rows;
    }

    static String render(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (Row r : rows) {
            byKey.put(key(r.bench, r.group, r.method, r.size), r);
        }
        TreeSet<Integer> sizes = new TreeSet<>();
        rows.stream().filter(r -> r.bench.equals("TimerBench")).forEach(r -> sizes.add(r.size));

        List<String> targets = new ArrayList<>();
        if (!sizes.isEmpty()) {
            timerTable(out, byKey, sizes, "update", "update: re-base a random live timer (STPE: cancel + schedule)");
            timerTable(out, byKey, sizes, "addRemove", "addRemove: add one timer and remove it, two operations "
                    + "(STPE: schedule + cancel)");
            if (rows.stream().anyMatch(r -> r.bench.equals("TimerBench") && r.method.equals("asap"))) {
                timerTable(out, byKey, sizes, "asap", "asap: updateTimeout(t, 0) then updateTimeout(t, -1), two "
                        + "operations (STPE: none)");
            }
            timerTargets(byKey, targets);
        }
        if (rows.stream().anyMatch(r -> r.bench.equals("HookRoundTripBench"))) {
            roundTripTable(out, byKey, targets);
        }
        if (!targets.isEmpty()) {
            out.append("### Targets\n\n| target | measured | verdict |\n|---|---|---|\n");
            targets.forEach(t -> out.append(t).append('\n'));
            out.append('\n');
        }
        return out.toString();
    }

    private static void timerTable(StringBuilder out, Map<String, Row> byKey, TreeSet<Integer> sizes, String method,
            String title) {
        out.append("### TimerBench ").append(title).append(" — ns per benchmark operation, ± 99.9% error\n\n");
        out.append("| live timers | PollEventLoop | LibvirtEventLoop | STPE | libvirt / embedded | STPE / embedded |\n");
        out.append("|---:|---:|---:|---:|---:|---:|\n");
        for (int size : sizes) {
            Row e = byKey.get(key("TimerBench", EMBEDDED, method, size));
            Row l = byKey.get(key("TimerBench", LIBVIRT, method, size));
            Row s = byKey.get(key("TimerBench", STPE, method, size));
            out.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %s | %s |%n", size, cell(e), cell(l), cell(s),
                    ratio(l, e), ratio(s, e)));
        }
        out.append('\n');
    }

    private static void timerTargets(Map<String, Row> byKey, List<String> targets) {
        for (String method : List.of("update", "addRemove")) {
            Row small = byKey.get(key("TimerBench", EMBEDDED, method, 100));
            Row large = byKey.get(key("TimerBench", EMBEDDED, method, 100_000));
            if (small != null && large != null) {
                double r = large.score / small.score;
                targets.add(String.format(Locale.ROOT, "| embedded %s: cost at 100,000 <= 2x cost at 100 | "
                        + "%.1f ns / %.1f ns = %.2fx | %s |", method, large.score, small.score, r, atMost(r, 2.0)));
            }
            Row emb = byKey.get(key("TimerBench", EMBEDDED, method, 10_000));
            Row lib = byKey.get(key("TimerBench", LIBVIRT, method, 10_000));
            if (emb != null && lib != null) {
                double r = lib.score / emb.score;
                targets.add(String.format(Locale.ROOT, "| %s at 10,000 timers: embedded >= 10x cheaper than libvirt | "
                        + "%.1f ns vs %.1f ns = %.1fx | %s |", method, emb.score, lib.score, r, atLeast(r, 10.0)));
            }
        }
        Row update = byKey.get(key("TimerBench", EMBEDDED, "update", 1_000_000));
        if (update != null) {
            targets.add(String.format(Locale.ROOT, "| update at 1,000,000 timers <= 200 ns | %.1f ns | %s |",
                    update.score, atMost(update.score / 200.0, 1.0)));
        }
        Row pair = byKey.get(key("TimerBench", EMBEDDED, "addRemove", 1_000_000));
        if (pair != null) {
            targets.add(String.format(Locale.ROOT, "| add and remove at 1,000,000 timers <= 200 ns each "
                    + "(pair <= 400 ns) | pair %.1f ns, %.1f ns per operation | %s |", pair.score, pair.score / 2,
                    atMost(pair.score / 400.0, 1.0)));
        }
    }

    private static void roundTripTable(StringBuilder out, Map<String, Row> byKey, List<String> targets) {
        out.append("### HookRoundTripBench — round trips per second (register → modify(ASAP) → dispatch → "
                + "stale occurred → free), ± 99.9% error\n\n");
        out.append("| driving | PollEventLoop | LibvirtEventLoop | STPE | embedded / libvirt | embedded / STPE |\n");
        out.append("|---|---:|---:|---:|---:|---:|\n");
        for (String method : List.of("single", "batch1000")) {
            Row e = byKey.get(key("HookRoundTripBench", EMBEDDED, method, 0));
            Row l = byKey.get(key("HookRoundTripBench", LIBVIRT, method, 0));
            Row s = byKey.get(key("HookRoundTripBench", STPE, method, 0));
            String label = method.equals("single") ? "one round trip per operation" : "1,000 per operation";
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", label, cell(e), cell(l), cell(s),
                    ratio(e, l), ratio(e, s)));
            if (e != null) {
                targets.add(String.format(Locale.ROOT, "| round trips on the embedded loop >= 500,000/s (%s) | %,.0f/s "
                        + "| %s |", label, e.score, atLeast(e.score / 500_000.0, 1.0)));
            }
        }
        out.append('\n');
    }

    /** "MET", or "MISSED by N%" when {@code value} (a ratio to its limit) exceeds {@code limit}. */
    private static String atMost(double value, double limit) {
        return value <= limit ? "MET" : String.format(Locale.ROOT, "MISSED by %.0f%%", (value / limit - 1) * 100);
    }

    /** "MET", or "MISSED by N%" when {@code value} falls short of {@code limit}. */
    private static String atLeast(double value, double limit) {
        return value >= limit ? "MET" : String.format(Locale.ROOT, "MISSED by %.0f%%", (1 - value / limit) * 100);
    }

    private static String cell(Row r) {
        if (r == null) {
            return "—";
        }
        if (r.score >= 10_000) {
            return String.format(Locale.ROOT, "%,.0f ± %,.0f", r.score, r.error);
        }
        return String.format(Locale.ROOT, "%,.1f ± %,.1f", r.score, r.error);
    }

    private static String ratio(Row numerator, Row denominator) {
        if (numerator == null || denominator == null || denominator.score == 0) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.2fx", numerator.score / denominator.score);
    }

    private static String key(String bench, String group, String method, int size) {
        return bench + '/' + group + '/' + method + '/' + size;
    }

    private static double number(String cell) {
        return cell.isEmpty() || cell.equals("NaN") ? Double.NaN : Double.parseDouble(cell.replace(',', '.'));
    }

    /** Splits one CSV line with double-quoted cells ("" inside quotes is a quote). */
    static List<String> splitCsv(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }
}
