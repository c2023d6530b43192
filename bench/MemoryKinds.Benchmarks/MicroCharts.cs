using System.Globalization;
using ScottPlot;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// The charts of docs/benchmarks.md's micro section (<c>--summarize ... --charts OUTDIR</c>): one PNG per workload family,
/// grouped bars (a group per case, a bar per contender) of the median over the runs of each run's median. Drawn like
/// the workload runner's charts (bench/MemoryKinds.Workloads/Report.cs): same palette, size and legend, a contender
/// has the same color in every chart; each bar is labelled with its value. A logarithmic axis when the values span more than 20x.
/// </summary>
internal static class MicroCharts
{
    private const double LogSpan = 20;

    /// <summary>Category10, as the workload runner: a contender's color is its index in <see cref="MicroSummary.ContenderLabels"/>.</summary>
    private static readonly Color[] s_colors = new ScottPlot.Palettes.Category10().Colors;

    /// <summary>A bar series: its legend name, its color index, and the methods whose median it shows (the first present per case).</summary>
    private sealed record Series(string Name, int Color, string[] Methods);

    /// <summary>A chart: the file, the benchmark class, the title's first line, the unit (y axis), a case's x label from its parameters.</summary>
    private sealed record Family(string File, string Class, string Title, string Unit, Func<IReadOnlyDictionary<string, string>, string> Case)
    {
        public Series[] Series { get; init; } = MicroSummary.ContenderLabels.Select((c, i) => new Series(c.Label, i, [c.Method])).ToArray();

        /// <summary>The unit per ns (1e-3 for µs).</summary>
        public double Scale { get; init; } = 1;
    }

    private static readonly Family[] s_families =
    [
        new("micro-pairs.png", "AllocFreePair", "Alloc + Free pair (1000 per invocation)", "ns per pair", p => $"{p["Size"]} B"),
        new("micro-batches.png", "Batch64", "Batch: 1000 × Alloc(64), then 1000 × Free", "ns per alloc+free",
            p => p["Order"] switch { "Lifo" => "LIFO (newest first)", "Fifo" => "FIFO (oldest first)", string o => o }),
        new("micro-random-mix.png", "RandomSizeMix", "Random-size mix: 16–1024 B, 1,000 live blocks", "ns per step (Free + Alloc)",
            _ => "random mix"),
        new("micro-calloc.png", "CallocPair", "calloc(1, Size) + Free", "ns per pair", p => $"calloc(1, {p["Size"]})"),
        new("micro-realloc.png", "ReallocGrowth", "realloc growth 16 B → 1 MiB by doubling, then Free", "ns per growth",
            _ => "16 B → 1 MiB"),
        new("micro-aligned.png", "AlignedPair", "Aligned alloc of 256 B + free", "ns per pair", p => $"256 B at {p["Alignment"]}"),
        new("micro-kind-lifecycle.png", "KindLifecycle", "Kind create + Alloc(64) + Free + destroy", "µs per lifecycle", p => p["Categories"])
        {
            Series = [new("MemoryKinds pmem", 1, ["MemoryKindsPmemShm", "MemoryKindsPmemTmp"]), new("memkind pmem", 4, ["MemkindPmemShm", "MemkindPmemTmp"])],
            Scale = 1e-3,
        },
    ];

    /// <summary>Every family's chart that has results; the file names written (or why not) go to stderr.</summary>
    public static void Write(RunSummary.Merged merged, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (Family family in s_families)
        {
            string path = Path.Combine(directory, family.File);
            RunSummary.Workload[] cases = merged.Workloads.Where(w => w.Class == family.Class).ToArray();
            if (cases.Length == 0)
            {
                Console.Error.WriteLine($"{path}: not written, no {family.Class} results.");
                continue;
            }
            string[] labels = cases.Select(w => CaseLabel(family, w)).ToArray();
            var drawn = new List<(string Name, int Color, double[] Values)>();
            var absent = new List<string>();
            foreach (Series series in family.Series)
            {
                double[] values = cases.Select(w => series.Methods.Select(m => merged.Median(w, m)).FirstOrDefault(v => v is not null) is double ns
                    ? ns * family.Scale : double.NaN).ToArray();
                string[] missing = labels.Where((_, i) => double.IsNaN(values[i])).ToArray();
                if (missing.Length == values.Length) absent.Add(series.Name);
                else drawn.Add((missing.Length == 0 ? series.Name : $"{series.Name} (NA: {string.Join(", ", missing)})", series.Color, values));
            }
            var notes = new List<string>();
            if (absent.Count > 0) notes.Add("no data (NA): " + string.Join(", ", absent));
            if (merged.Dry) notes.Add("Dry job: not a measurement");
            string runs = merged.Runs.Count == 1 ? "one run's median" : $"median of {merged.Runs.Count} runs' medians";
            Draw(path, $"{family.Title}\n{runs}, lower is better", family.Unit, labels, drawn, notes);
            Console.Error.WriteLine($"{path}: written.");
        }
    }

    /// <summary>The family's label for a case, or its raw parameters if they are not the expected ones.</summary>
    private static string CaseLabel(Family family, RunSummary.Workload workload)
    {
        Dictionary<string, string> parameters = workload.Parameters.Split(", ", StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        try
        {
            return family.Case(parameters);
        }
        catch (KeyNotFoundException)
        {
            return workload.Parameters.Length > 0 ? workload.Parameters : workload.Class;
        }
    }

    /// <summary>Grouped bars: a group per case, a bar per series (NaN: none); logarithmic when the values span more than <see cref="LogSpan"/>.</summary>
    private static void Draw(string path, string title, string unit, string[] groups, List<(string Name, int Color, double[] Values)> series,
        List<string> notes)
    {
        double[] all = series.SelectMany(s => s.Values).Where(v => v > 0).ToArray();
        bool log = all.Length > 0 && all.Max() / all.Min() > LogSpan;
        double Y(double v) => log ? Math.Log10(v) : v;

        var plot = new Plot();
        double width = 0.8 / Math.Max(1, series.Count);
        var bars = new List<Bar>();
        for (int s = 0; s < series.Count; s++)
        {
            Color color = s_colors[series[s].Color % s_colors.Length];
            bars.AddRange(series[s].Values.Select((v, g) => (v, g)).Where(b => b.v > 0).Select(b => new Bar
            {
                Position = b.g - 0.4 + width * (s + 0.5),
                Value = Y(b.v),
                ValueBase = log ? -10 : 0,
                FillColor = color,
                Size = width * 0.95,
                LineWidth = 0,
            }));
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = color });
            foreach ((double v, int g) in series[s].Values.Select((v, g) => (v, g)).Where(b => b.v > 0))
            {
                var label = plot.Add.Text(v.ToString(v >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture), g - 0.4 + width * (s + 0.5), Y(v));
                label.LabelFontSize = 10;
                label.LabelRotation = -90;
                label.LabelAlignment = Alignment.MiddleLeft;
                label.LabelOffsetY = -3;
            }
        }
        foreach (string note in notes) plot.Legend.ManualItems.Add(new LegendItem { LabelText = note, FillColor = Colors.Transparent });
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Length).Select(i => (double)i).ToArray(), groups);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 14; // the case labels are short: level, under their group
        if (all.Length == 0) plot.Axes.SetLimitsY(0, 1);
        else if (log)
        {
            double low = Math.Floor(Math.Log10(all.Min())), high = Math.Log10(all.Max()) + 0.3; // room for the value labels
            (double Position, string Label)[] ticks = Enumerable.Range((int)low, (int)(high - low) + 1)
                .SelectMany(e => new[] { 1.0, 2.0, 5.0 }.Select(m => m * Math.Pow(10, e)))
                .Where(v => Math.Log10(v) <= high + 1e-9)
                .Select(v => (Math.Log10(v), v.ToString(v >= 1 ? "#,0" : "G3", CultureInfo.InvariantCulture))).ToArray();
            plot.Axes.Left.SetTicks(ticks.Select(t => t.Position).ToArray(), ticks.Select(t => t.Label).ToArray());
            plot.Axes.SetLimitsY(low, high);
        }
        else plot.Axes.SetLimitsY(0, all.Max() * 1.2);
        plot.Axes.SetLimitsX(-0.6, groups.Length - 0.4);
        plot.Title(title);
        plot.YLabel(log ? $"{unit} (log scale)" : unit);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, Math.Max(900, 140 * groups.Length + 420), 520);
    }
}
