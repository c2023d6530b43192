using System.Globalization;
using System.Text;
using ScottPlot;

namespace MemoryKinds.Benchmarks;

/// <summary>Measured times of one workload cell: per contender, one wall time (ms) per round.</summary>
public sealed class Cell(IWorkload workload)
{
    public IWorkload Workload { get; } = workload;
    public Dictionary<string, List<double>> Ms { get; } = new();
    public Dictionary<string, string> Failed { get; } = new();

    public double? Median(string contender) => Ms.TryGetValue(contender, out var v) && v.Count > 0 ? Report.Median(v) : null;
}

public static class Report
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static double Median(IEnumerable<double> values)
    {
        double[] v = values.OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    public static string Bytes(long b) => b switch
    {
        < 0 => "n/a",
        >= 1 << 20 when b % (1 << 20) == 0 => $"{b >> 20} MiB",
        >= 1 << 20 => string.Format(Inv, "{0:F1} MiB", b / 1048576.0),
        >= 1024 when b % 1024 == 0 => $"{b >> 10} KiB",
        >= 1024 => string.Format(Inv, "{0:F1} KiB", b / 1024.0),
        _ => $"{b} B",
    };

    public static string F(double v, int digits = 2) => v.ToString("F" + digits, Inv);

    public static string Ratio(double? a, double? b) => a is double x && b is double y && y > 0 ? F(x / y) + "x" : "–";

    /// <summary>The table of timed cells: median and min ms, rate, and the ratios of medians to memkind pmem (same
    /// directory) and NativeMemory (&lt; 1 means faster).</summary>
    public static string TimedTable(IEnumerable<Cell> cells, IReadOnlyList<string> contenders)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Workload | Contender | Median ms | Min ms | Rate | Time vs memkind pmem | Time vs NativeMemory |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (Cell cell in cells)
        {
            foreach (string name in contenders)
            {
                if (cell.Failed.TryGetValue(name, out string? why))
                {
                    sb.AppendLine($"| {cell.Workload.Name} | {name} | failed | | {why.Replace('|', '/')} | | |");
                    continue;
                }
                if (cell.Median(name) is not double med) continue;
                double min = cell.Ms[name].Min();
                double rate = cell.Workload.Units / (med / 1000);
                string rateText = cell.Workload.UnitName switch
                {
                    "Mops/s" or "M blocks/s" or "M pages/s" => F(rate / 1e6) + " " + cell.Workload.UnitName,
                    "K objects/s" => F(rate / 1e3, 1) + " " + cell.Workload.UnitName,
                    "µs each" => F(med * 1000 / cell.Workload.Units, 1) + " µs each",
                    _ => F(rate) + " " + cell.Workload.UnitName,
                };
                if (cell.Workload is Large large) rateText += $", {F(med * 1e6 / cell.Workload.Units, 0)} ns/page";
                sb.AppendLine($"| {cell.Workload.Name} | {name} | {F(med, 1)} | {F(min, 1)} | {rateText} | " +
                              $"{Ratio(med, cell.Median(Contenders.MemkindReference(name)) ?? cell.Median(Contenders.MemkindPmem(Dirs.Shm)))} | {Ratio(med, cell.Median(Contenders.Native))} |");
            }
        }
        return sb.ToString();
    }

    private static readonly Color[] s_colors = new ScottPlot.Palettes.Category10().Colors.Concat(new ScottPlot.Palettes.Tsitsulin().Colors).ToArray();

    /// <summary>Grouped bars: one group per label, one bar per series (NaN = no bar). With <paramref name="log"/> the
    /// axis is logarithmic (bars drawn in log10 with labelled ticks).</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> groups,
        IReadOnlyList<(string Name, double[] Values)> series, bool log, double? referenceLine = null)
    {
        var plot = new Plot();
        double width = 0.8 / Math.Max(1, series.Count);
        var bars = new List<Bar>();
        double maxV = double.MinValue, minV = double.MaxValue;
        for (int s = 0; s < series.Count; s++)
        {
            for (int g = 0; g < groups.Count; g++)
            {
                double v = series[s].Values[g];
                if (double.IsNaN(v) || v <= 0 && log) continue;
                double y = log ? Math.Log10(v) : v;
                maxV = Math.Max(maxV, y);
                minV = Math.Min(minV, y);
                bars.Add(new Bar
                {
                    Position = g - 0.4 + width * (s + 0.5),
                    Value = y,
                    ValueBase = log ? -10 : 0,
                    FillColor = s_colors[s % s_colors.Length],
                    Size = width * 0.95,
                    LineWidth = 0,
                });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = s_colors[s % s_colors.Length] });
        }
        plot.Add.Bars(bars);
        // Many groups (a sweep over sizes): label every k-th so the labels do not overlap.
        int every = (groups.Count + 39) / 40;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(), groups.Select((g, i) => i % every == 0 ? g : "").ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 90;
        if (referenceLine is double r)
        {
            var line = plot.Add.HorizontalLine(log ? Math.Log10(r) : r);
            line.LineColor = Colors.Black;
            line.LinePattern = LinePattern.Dashed;
        }
        if (bars.Count == 0) { minV = 0; maxV = 1; }
        if (log)
        {
            double lo = Math.Floor(Math.Min(minV, referenceLine is double rr ? Math.Log10(rr) : minV)) , hi = Math.Ceiling(maxV + 0.05);
            var pos = new List<double>();
            var labels = new List<string>();
            for (double e = lo; e <= hi; e++)
                foreach (double m in new[] { 1.0, 2.0, 5.0 })
                {
                    double v = m * Math.Pow(10, e);
                    pos.Add(Math.Log10(v));
                    labels.Add(v.ToString("G4", Inv));
                }
            plot.Axes.Left.SetTicks(pos.ToArray(), labels.ToArray());
            plot.Axes.SetLimitsY(lo, hi);
        }
        else plot.Axes.SetLimitsY(0, maxV * 1.1);
        plot.Axes.SetLimitsX(-0.6, groups.Count - 0.4);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, Math.Clamp(140 * groups.Count + 420, 900, 2400), 520);
    }
}
