using ScottPlot;

/// <summary>The PNG charts, grouped bars drawn as bench/MemoryKinds.Workloads' Report.Bars draws docs/benchmarks/*.png.</summary>
internal static class Charts
{
    private static readonly Color[] s_colors = new ScottPlot.Palettes.Category10().Colors;

    /// <summary>Per cache configuration: throughput, gets from DRAM and DRAM bytes, each relative to all-DRAM.</summary>
    public static void Cache(string path, IReadOnlyList<CacheResult> results, string subtitle)
    {
        CacheResult dram = results[0];
        Bars(path, $"Cache on tiered memory, relative to all DRAM ({subtitle})", "fraction of all DRAM's",
            [.. results.Select(r => r.Name)],
            [
                ("throughput (ops/s, median)", [.. results.Select(r => r.VsAllDram)]),
                ("gets served from DRAM", [.. results.Select(r => r.DramGetShare)]),
                ("DRAM held by values at the end", [.. results.Select(r => (double)r.DramValueBytes / dram.DramValueBytes)]),
            ],
            referenceLine: 1.0);
    }

    /// <summary>Per case and thread count: ns per operation per thread of each contender.</summary>
    public static void Placement(string path, IReadOnlyList<PlacementResult> results)
    {
        string[] groups = [.. results.Select(r => $"{r.Case}, {r.Threads}T").Distinct()];
        string[] contenders = [.. results.Select(r => r.Contender).Distinct()];
        Bars(path, "Placement cost: ns per operation per thread (lower is better)", "ns per operation",
            groups,
            [.. contenders.Select(c => (c, groups.Select(g => results.FirstOrDefault(r => r.Contender == c && $"{r.Case}, {r.Threads}T" == g)?.MedianNs ?? double.NaN).ToArray()))],
            referenceLine: null);
    }

    private static void Bars(string path, string title, string yLabel, IReadOnlyList<string> groups,
        IReadOnlyList<(string Name, double[] Values)> series, double? referenceLine)
    {
        var plot = new Plot();
        double width = 0.8 / Math.Max(1, series.Count);
        var bars = new List<Bar>();
        double max = 0;
        for (int s = 0; s < series.Count; s++)
        {
            for (int g = 0; g < groups.Count; g++)
            {
                double v = series[s].Values[g];
                if (double.IsNaN(v)) continue;
                max = Math.Max(max, v);
                bars.Add(new Bar
                {
                    Position = g - 0.4 + width * (s + 0.5),
                    Value = v,
                    FillColor = s_colors[s % s_colors.Length],
                    Size = width * 0.95,
                    LineWidth = 0,
                });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = s_colors[s % s_colors.Length] });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, groups.Count).Select(i => (double)i)], [.. groups]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 120;
        if (referenceLine is double r)
        {
            var line = plot.Add.HorizontalLine(r);
            line.LineColor = Colors.Black;
            line.LinePattern = LinePattern.Dashed;
            max = Math.Max(max, r);
        }
        plot.Axes.SetLimitsY(0, max * 1.1);
        plot.Axes.SetLimitsX(-0.6, groups.Count - 0.4);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, Math.Max(900, 140 * groups.Count + 420), 560);
    }
}
