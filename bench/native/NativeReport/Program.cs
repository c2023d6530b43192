// Report tool of bench/native/run.sh: reads RAW (raw.tsv written by run.sh), writes OUTDIR/table.md (also printed)
// and the charts OUTDIR/native-speedups.png and OUTDIR/native-medians.png.
// Per contender and series: the median over a process's rounds, then the median over its processes; the speedup is
// Debian's median over ours (> 1 = ours faster); "per pair" is the range of Debian's process i over ours' process i.
using System.Globalization;
using System.Text;
using ScottPlot;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: NativeReport RAW.tsv OUTDIR");
    return 2;
}
var raw = Raw.Load(args[0]);
string md = Report.Markdown(raw);
Directory.CreateDirectory(args[1]);
File.WriteAllText(Path.Combine(args[1], "table.md"), md);
Console.Write(md);
Report.Charts(raw, args[1]);
return 0;

/// <summary>One workload row: the series, its unit (divisor from ns), the issue's target speedup.</summary>
internal sealed record Row(string Series, string Workload, string Label, string Unit, double Scale, double? Target);

internal sealed class Raw
{
    public readonly Dictionary<string, string> Meta = new();
    public readonly List<(string Dir, string Type)> Dirs = new();
    // (dir, who, pair, series) -> per-round ns per operation
    public readonly Dictionary<(string Dir, string Who, int Pair, string Series), List<double>> Rounds = new();
    // The same for CPU time (CLOCK_THREAD_CPUTIME_ID; single-thread workloads only)
    public readonly Dictionary<(string Dir, string Who, int Pair, string Series), List<double>> CpuRounds = new();
    public readonly List<(string Dir, string Workload, string Who, int Pair, int Attempt, string What, string Err)> Crashes = new();
    public readonly Dictionary<(string Dir, string Workload, string Who), HashSet<int>> Ok = new();

    public static Raw Load(string path)
    {
        var r = new Raw();
        foreach (string line in File.ReadLines(path))
        {
            string[] f = line.Split('\t');
            switch (f[0])
            {
                case "meta" when f.Length >= 3:
                    if (f[1] == "fs") r.Dirs.Add((f[2], f.Length > 3 ? f[3] : "?"));
                    else r.Meta[f[1]] = f[2];
                    break;
                case "result" when f.Length >= 7:
                    var key = (f[1], f[2], int.Parse(f[3], CultureInfo.InvariantCulture), f[4]);
                    if (!r.Rounds.TryGetValue(key, out var list)) r.Rounds[key] = list = new List<double>();
                    list.Add(double.Parse(f[6], CultureInfo.InvariantCulture));
                    if (f.Length >= 8 && double.TryParse(f[7], NumberStyles.Float, CultureInfo.InvariantCulture, out double cpu))
                    {
                        if (!r.CpuRounds.TryGetValue(key, out var cl)) r.CpuRounds[key] = cl = new List<double>();
                        cl.Add(cpu);
                    }
                    string w = Report.WorkloadOf(f[4], f[1]);
                    var okKey = (f[1], w, f[2]);
                    if (!r.Ok.TryGetValue(okKey, out var set)) r.Ok[okKey] = set = new HashSet<int>();
                    set.Add(key.Item3);
                    break;
                case "crash" when f.Length >= 7:
                    r.Crashes.Add((f[1], f[2], f[3], int.Parse(f[4], CultureInfo.InvariantCulture),
                        int.Parse(f[5], CultureInfo.InvariantCulture), f[6], f.Length > 7 ? f[7].Trim() : ""));
                    break;
            }
        }
        return r;
    }

    /// <summary>Per-process medians of a series, by pair index.</summary>
    public SortedDictionary<int, double> ProcessMedians(string dir, string who, string series, bool cpu = false)
    {
        var d = new SortedDictionary<int, double>();
        foreach (var kv in cpu ? CpuRounds : Rounds)
            if (kv.Key.Dir == dir && kv.Key.Who == who && kv.Key.Series == series) d[kv.Key.Pair] = Stats.Median(kv.Value);
        return d;
    }

    public double Median(string dir, string who, string series, bool cpu = false)
    {
        var pm = ProcessMedians(dir, who, series, cpu);
        return pm.Count == 0 ? double.NaN : Stats.Median(pm.Values.ToList());
    }
}

internal static class Stats
{
    public static double Median(List<double> v)
    {
        if (v.Count == 0) return double.NaN;
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}

internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static readonly Row[] Rows =
    {
        new("pair", "pair", "64 B malloc+free pair", "ns per pair", 1, 5),
        new("mix", "mix", "random 16–1024 B mix, 1,000 live", "ns per free+malloc", 1, 5),
        new("xthread", "xthread", "2-thread producer/consumer, 64 B", "ns per block", 1, 3),
        new("create", "create", "kind create + 64 B malloc/free + destroy", "µs per kind", 1000, 10),
        new("large-64k", "large", "large 64 KiB, every page touched", "µs per block", 1000, 1.0),
        new("large-256k", "large", "large 256 KiB, every page touched", "µs per block", 1000, 1.0),
        new("large-1m", "large", "large 1 MiB, every page touched", "µs per block", 1000, 1.0),
        new("large-8m", "large", "large 8 MiB, every page touched", "µs per block", 1000, 1.0),
    };

    private static readonly Row DefaultRow = new("default-pair", "default-pair", "64 B pair on MEMKIND_DEFAULT", "ns per pair", 1, null);

    public static string WorkloadOf(string series, string dir) =>
        series == "glibc-pair" ? (dir == "-" ? "default-pair" : "pair")
        : series == "glibc-mix" ? "mix"
        : series is "glibc-xthread" or "queue-xthread" ? "xthread"
        : series.StartsWith("large-", StringComparison.Ordinal) ? "large"
        : series;

    private static string F(double v)
    {
        if (double.IsNaN(v)) return "n/a";
        double a = Math.Abs(v);
        return v.ToString(a >= 1000 ? "F0" : a >= 100 ? "F1" : a >= 10 ? "F1" : "F2", Inv);
    }

    private static string X(double v) => double.IsNaN(v) ? "n/a" : v.ToString(v >= 100 ? "F0" : v >= 10 ? "F1" : "F2", Inv) + "x";

    private static string DirLabel(Raw raw, string dir) =>
        dir == "-" ? "–" : $"{dir} ({raw.Dirs.FirstOrDefault(d => d.Dir == dir).Type ?? "?"})";

    public static double Speedup(Raw raw, string dir, string series) =>
        raw.Median(dir, "debian", series) / raw.Median(dir, "ours", series);

    private static (double Lo, double Hi) PerPair(Raw raw, string dir, string series)
    {
        var d = raw.ProcessMedians(dir, "debian", series);
        var o = raw.ProcessMedians(dir, "ours", series);
        var r = d.Keys.Where(o.ContainsKey).Select(k => d[k] / o[k]).ToList();
        return r.Count == 0 ? (double.NaN, double.NaN) : (r.Min(), r.Max());
    }

    private static string CrashText(Raw raw, string dir, string workload)
    {
        var parts = new List<string>();
        foreach (string who in new[] { "debian", "ours" })
        {
            var c = raw.Crashes.Where(x => x.Dir == dir && x.Workload == workload && x.Who == who).ToList();
            int ok = raw.Ok.TryGetValue((dir, workload, who), out var s) ? s.Count : 0;
            if (c.Count == 0) continue;
            string kinds = string.Join(", ", c.GroupBy(x => x.What).Select(g => $"{g.Count()}× {g.Key}"));
            int pairs = int.TryParse(raw.Meta.GetValueOrDefault("pairs"), out int n) ? n : ok;
            string lost = ok < pairs ? $", {pairs - ok} of {pairs} slots without a result" : "";
            parts.Add($"{(who == "ours" ? "ours" : "Debian")}: {kinds} in {ok + c.Count} processes{lost}");
        }
        return parts.Count == 0 ? "none" : "**" + string.Join("; ", parts) + "**";
    }

    public static string Markdown(Raw raw)
    {
        var sb = new StringBuilder();
        string M(string k) => raw.Meta.TryGetValue(k, out var v) ? v : "?";
        sb.AppendLine($"Mode `{M("mode")}`, {M("date")}; {M("machine")}; commit {M("commit")}; {M("pairs")} process pairs per workload " +
                      $"(Debian's, ours, alternately), {M("rounds")} measured rounds each after one warm-up round; measuring took {M("seconds")} s; " +
                      $"load average (1, 5, 15 min) {M("load_start")} at the start, {M("load_end")} at the end.");
        sb.AppendLine();
        sb.AppendLine($"- Command: `{M("command")}`");
        sb.AppendLine($"- Debian's: `{M("debian")}`; ours: `{M("ours")}` (each process's `/proc/self/maps` checked)");
        sb.AppendLine($"- Directories: {string.Join(", ", raw.Dirs.Select(d => $"{d.Dir} ({d.Type})"))}");
        sb.AppendLine();
        sb.AppendLine("Medians of wall time (`CLOCK_MONOTONIC`): per process over its rounds, then over the processes. Speedup = Debian's median / ours " +
                      "(> 1 = ours faster); per pair = the range of Debian's process i / ours' process i. Speedup by CPU time: the same with each " +
                      "round's thread CPU time (`CLOCK_THREAD_CPUTIME_ID`, user + system), which leaves out the time the thread waited for a CPU " +
                      "(single-thread workloads only; not a target measure).");
        sb.AppendLine();
        sb.AppendLine("| Workload | Dir | Unit | Debian's memkind | ours | Speedup | Per pair | Target | Verdict | Speedup by CPU time | Crashes |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|---:|---|");
        var rows = new List<(Row Row, string Dir)>();
        foreach (var (dir, _) in raw.Dirs) foreach (var row in Rows) rows.Add((row, dir));
        rows.Add((DefaultRow, "-"));
        foreach (var (row, dir) in rows)
        {
            double d = raw.Median(dir, "debian", row.Series) / row.Scale, o = raw.Median(dir, "ours", row.Series) / row.Scale;
            double s = d / o;
            var (lo, hi) = PerPair(raw, dir, row.Series);
            string verdict = row.Target is not double t ? "–" : double.IsNaN(s) ? "**no result**" : s >= t ? "met" : "**missed**";
            double sc = raw.Median(dir, "debian", row.Series, cpu: true) / raw.Median(dir, "ours", row.Series, cpu: true);
            sb.AppendLine($"| {row.Label} | {DirLabel(raw, dir)} | {row.Unit} | {F(d)} | {F(o)} | {X(s)} | {X(lo)}–{X(hi)} | " +
                          $"{(row.Target is double tt ? "≥ " + X(tt) : "–")} | {verdict} | {(double.IsNaN(sc) ? "–" : X(sc))} | {CrashText(raw, dir, row.Workload)} |");
        }
        sb.AppendLine();

        // The pair against glibc malloc+free called from C, in the same processes (alternate rounds).
        sb.AppendLine("Against glibc `malloc`+`free` called from C in the same processes (the pair: each round alternates chunks of " +
                      "10,000 pairs; the mix: glibc's own live set, the two take turns every round); ratio = the kind's median / glibc's " +
                      "median (< 1 = faster than glibc):");
        sb.AppendLine();
        sb.AppendLine("| Workload | Dir | glibc ns (ours' processes) | ours ns | ours / glibc | Per process | Target | Verdict | ours / glibc by CPU time | glibc ns (Debian's processes) | Debian's ns | Debian's / glibc |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
        var pairRows = raw.Dirs.Select(x => (x.Dir, "pair", "glibc-pair", "64 B pair, pmem kind"))
            .Concat(raw.Dirs.Select(x => (x.Dir, "mix", "glibc-mix", "random mix, pmem kind")))
            .Append(("-", "default-pair", "glibc-pair", "64 B pair, MEMKIND_DEFAULT"));
        foreach (var (dir, series, gseries, label) in pairRows)
        {
            double go = raw.Median(dir, "ours", gseries), o = raw.Median(dir, "ours", series);
            double gd = raw.Median(dir, "debian", gseries), d = raw.Median(dir, "debian", series);
            if (double.IsNaN(go) && double.IsNaN(gd)) continue;
            var om = raw.ProcessMedians(dir, "ours", series);
            var gm = raw.ProcessMedians(dir, "ours", gseries);
            var pr = om.Keys.Where(gm.ContainsKey).Select(k => om[k] / gm[k]).ToList();
            bool target = series == "pair";
            string verdict = !target ? "–" : double.IsNaN(o / go) ? "**no result**" : o / go <= 2.0 ? "met" : "**missed**";
            double oc = raw.Median(dir, "ours", series, cpu: true) / raw.Median(dir, "ours", gseries, cpu: true);
            sb.AppendLine($"| {label} | {DirLabel(raw, dir)} | {F(go)} | {F(o)} | {X(o / go)} | " +
                          $"{(pr.Count == 0 ? "n/a" : X(pr.Min()) + "–" + X(pr.Max()))} | {(target ? "≤ 2.0x" : "–")} | {verdict} | {X(oc)} | " +
                          $"{F(gd)} | {F(d)} | {X(d / gd)} |");
        }
        sb.AppendLine();

        // The queue's own cost.
        sb.AppendLine("The producer/consumer, ns per block, in the same processes (rounds rotating): the queue alone (a fixed pool of " +
                      "blocks, nothing allocated or freed), with glibc `malloc`/`free`, and with the pmem kind:");
        sb.AppendLine();
        sb.AppendLine("| Dir | queue alone (Debian's / ours' processes) | glibc (Debian's / ours' processes) | Debian's memkind | ours |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (dir, _) in raw.Dirs)
            sb.AppendLine($"| {DirLabel(raw, dir)} | {F(raw.Median(dir, "debian", "queue-xthread"))} / {F(raw.Median(dir, "ours", "queue-xthread"))} | " +
                          $"{F(raw.Median(dir, "debian", "glibc-xthread"))} / {F(raw.Median(dir, "ours", "glibc-xthread"))} | " +
                          $"{F(raw.Median(dir, "debian", "xthread"))} | {F(raw.Median(dir, "ours", "xthread"))} |");
        sb.AppendLine();

        if (raw.Crashes.Count > 0)
        {
            sb.AppendLine("Processes that did not finish (each was run again, up to 3 attempts per slot):");
            sb.AppendLine();
            sb.AppendLine("| Dir | Workload | Library | Pair | Attempt | What | Last stderr |");
            sb.AppendLine("|---|---|---|---:|---:|---|---|");
            foreach (var c in raw.Crashes)
                sb.AppendLine($"| {c.Dir} | {c.Workload} | {(c.Who == "ours" ? "ours" : "Debian's")} | {c.Pair} | {c.Attempt} | {c.What} | " +
                              $"{(c.Err.Length == 0 ? "–" : "`" + c.Err.Replace("|", "/").Replace("`", "'") + "`")} |");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static readonly Color[] Colors = new ScottPlot.Palettes.Category10().Colors;

    private static string ShortName(string series) => series switch
    {
        "pair" => "pair\n64 B",
        "mix" => "mix\n16-1024 B",
        "xthread" => "producer/\nconsumer",
        "create" => "create+\ndestroy",
        "large-64k" => "large\n64 KiB",
        "large-256k" => "large\n256 KiB",
        "large-1m" => "large\n1 MiB",
        "large-8m" => "large\n8 MiB",
        "default-pair" => "pair\nDEFAULT",
        _ => series,
    };

    public static void Charts(Raw raw, string outDir)
    {
        // 1. Speedups per workload (groups) and directory (series), log scale, the target of each workload as a dashed segment.
        {
            var groups = Rows.Select(r => ShortName(r.Series)).ToList();
            var series = raw.Dirs.Select(d => ($"{d.Dir} ({d.Type})", Rows.Select(r => Speedup(raw, d.Dir, r.Series)).ToArray())).ToList();
            var targets = Rows.Select(r => r.Target ?? double.NaN).ToArray();
            Bars(Path.Combine(outDir, "native-speedups.png"),
                $"libmemkind.so.0 (ours) vs Debian's memkind 1.14: speedup (Debian's time / ours), {raw.Meta.GetValueOrDefault("mode", "?")} run",
                "speedup (log scale); dashed: target", groups, series, targets, labels: true);
        }
        // 2. Medians per workload and directory (groups), per contender (series), ns per operation, log scale.
        {
            var groups = new List<string>();
            var deb = new List<double>();
            var ours = new List<double>();
            var glibc = new List<double>();
            foreach (var (dir, _) in raw.Dirs)
                foreach (var r in Rows)
                {
                    groups.Add($"{ShortName(r.Series)}\n{dir}");
                    deb.Add(raw.Median(dir, "debian", r.Series));
                    ours.Add(raw.Median(dir, "ours", r.Series));
                    glibc.Add(r.Series == "pair" ? raw.Median(dir, "ours", "glibc-pair")
                        : r.Series == "mix" ? raw.Median(dir, "ours", "glibc-mix")
                        : r.Series == "xthread" ? raw.Median(dir, "ours", "glibc-xthread") : double.NaN);
                }
            groups.Add(ShortName("default-pair"));
            deb.Add(raw.Median("-", "debian", "default-pair"));
            ours.Add(raw.Median("-", "ours", "default-pair"));
            glibc.Add(raw.Median("-", "ours", "glibc-pair"));
            Bars(Path.Combine(outDir, "native-medians.png"),
                "Median time per operation (pair, mix step, block, kind)", "time per operation (log scale)", groups,
                new List<(string, double[])> { ("Debian's memkind", deb.ToArray()), ("ours", ours.ToArray()), ("glibc malloc/free from C (same process)", glibc.ToArray()) },
                null, labels: false, tick: Duration);
        }
    }

    private static string Duration(double ns) =>
        ns >= 1e9 ? (ns / 1e9).ToString("G3", Inv) + " s"
        : ns >= 1e6 ? (ns / 1e6).ToString("G3", Inv) + " ms"
        : ns >= 1e3 ? (ns / 1e3).ToString("G3", Inv) + " µs"
        : ns.ToString("G3", Inv) + " ns";

    private static void Bars(string path, string title, string yLabel, IReadOnlyList<string> groups,
        IReadOnlyList<(string Name, double[] Values)> series, double[]? targets, bool labels, Func<double, string>? tick = null)
    {
        tick ??= v => v >= 1 ? v.ToString("#,0", Inv) : v.ToString("0.###", Inv);
        var plot = new Plot();
        double width = 0.8 / Math.Max(1, series.Count);
        var bars = new List<Bar>();
        var texts = new List<(string Text, double X, double Y)>();
        double lo = double.MaxValue, hi = double.MinValue;
        for (int s = 0; s < series.Count; s++)
        {
            for (int g = 0; g < groups.Count; g++)
            {
                double v = series[s].Values[g];
                if (double.IsNaN(v) || v <= 0) continue;
                double y = Math.Log10(v);
                lo = Math.Min(lo, y);
                hi = Math.Max(hi, y);
                bars.Add(new Bar
                {
                    Position = g - 0.4 + width * (s + 0.5),
                    Value = y,
                    ValueBase = -10,
                    FillColor = Colors[s % Colors.Length],
                    Size = width * 0.92,
                    LineWidth = 0,
                });
                if (labels)
                {
                    // A label that the group's target line would cross goes just above the line.
                    double ly = y + 0.02;
                    if (targets != null && !double.IsNaN(targets[g]) && Math.Abs(ly + 0.04 - Math.Log10(targets[g])) < 0.07)
                        ly = Math.Log10(targets[g]) + 0.03;
                    texts.Add((X(v), g - 0.4 + width * (s + 0.5), ly));
                }
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = Colors[s % Colors.Length] });
        }
        plot.Add.Bars(bars);
        if (targets != null)
        {
            for (int g = 0; g < groups.Count; g++)
            {
                if (double.IsNaN(targets[g])) continue;
                double y = Math.Log10(targets[g]);
                lo = Math.Min(lo, y);
                hi = Math.Max(hi, y);
                var line = plot.Add.Line(g - 0.45, y, g + 0.45, y);
                line.LineColor = ScottPlot.Colors.Black;
                line.LinePattern = LinePattern.Dashed;
                line.LineWidth = 2;
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "target", LineColor = ScottPlot.Colors.Black, LinePattern = LinePattern.Dashed, LineWidth = 2 });
            var one = plot.Add.HorizontalLine(0);
            one.LineColor = ScottPlot.Colors.Gray;
            one.LineWidth = 1;
        }
        foreach (var (t, x, y) in texts)   // after the target lines, so that a label stays readable over one
        {
            var text = plot.Add.Text(t, x, y);
            text.LabelFontSize = 11;
            text.LabelAlignment = Alignment.LowerCenter;
            text.LabelBackgroundColor = ScottPlot.Colors.White.WithAlpha(0.85);
        }
        if (lo > hi) { lo = 0; hi = 1; }
        double ylo = Math.Floor(Math.Min(lo, 0) - 0.05), yhi = Math.Ceiling(hi + 0.15);
        var pos = new List<double>();
        var tl = new List<string>();
        double[] steps = yhi - ylo > 4 ? new[] { 1.0 } : new[] { 1.0, 2.0, 5.0 };
        for (double e = ylo; e <= yhi; e++)
            foreach (double m in steps)
            {
                double v = m * Math.Pow(10, e);
                if (Math.Log10(v) > yhi + 1e-9) continue;
                pos.Add(Math.Log10(v));
                tl.Add(tick(v));
            }
        plot.Axes.Left.SetTicks(pos.ToArray(), tl.ToArray());
        plot.Axes.SetLimitsY(ylo, yhi);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(), groups.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Bottom.MinimumSize = 60;
        plot.Axes.SetLimitsX(-0.6, groups.Count - 0.4);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, Math.Max(1000, 70 * groups.Count + 500), 560);
    }
}
