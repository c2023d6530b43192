using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// After a run, one markdown table per workload (class + parameters) of the <see cref="Contenders"/> classes: each
/// contender's median and minimum ns per operation and its time over NativeMemory's, memkind pmem's (the same
/// directory's for the MemoryKinds pmem rows, /dev/shm's for the rest) and mimalloc's, as ratios of medians (&lt; 1 =
/// faster). Printed and written to micro-summary.md next to BenchmarkDotNet's reports; docs/benchmarks.md quotes it.
/// </summary>
internal static class MicroSummary
{
    /// <summary>The contenders' benchmark method names and table labels, in table order.</summary>
    internal static readonly (string Method, string Label)[] ContenderLabels =
    [
        ("NativeMemory", "NativeMemory (glibc)"),
        ("MemoryKindsPmemShm", "MemoryKinds pmem /dev/shm"),
        ("MemoryKindsPmemTmp", "MemoryKinds pmem /tmp"),
        ("MemoryKindsDefault", "MemoryKinds Default"),
        ("MemkindPmemShm", "memkind pmem /dev/shm"),
        ("MemkindPmemTmp", "memkind pmem /tmp"),
        ("MemkindDefault", "memkind MEMKIND_DEFAULT"),
        ("Mimalloc", "mimalloc"),
    ];

    public static void Write(IEnumerable<Summary> summaries)
    {
        var text = new StringBuilder();
        string? directory = null;
        foreach (Summary summary in summaries)
        {
            directory ??= summary.ResultsDirectoryPath;
            var workloads = summary.Reports
                .Where(r => typeof(Contenders).IsAssignableFrom(r.BenchmarkCase.Descriptor.Type))
                .GroupBy(r => (r.BenchmarkCase.Descriptor.Type.Name, r.BenchmarkCase.Parameters.DisplayInfo));
            foreach (var workload in workloads)
            {
                Dictionary<string, BenchmarkReport> byMethod = workload.ToDictionary(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name);
                double? Median(string method) => byMethod.TryGetValue(method, out BenchmarkReport? r) ? r.ResultStatistics?.Median : null;
                double? Min(string method) => byMethod.TryGetValue(method, out BenchmarkReport? r) ? r.ResultStatistics?.Min : null;

                text.AppendLine($"### {workload.Key.Name} {workload.Key.DisplayInfo}".TrimEnd());
                text.AppendLine();
                AppendTable(text, Median, Min, byMethod.ContainsKey);
                text.AppendLine();
            }
        }
        if (text.Length == 0) return;
        text.Insert(0, $"Load average at the end of the run: {LoadAverage()}\n\n");
        Console.WriteLine();
        Console.WriteLine(text);
        if (directory is not null) File.WriteAllText(Path.Combine(directory, "micro-summary.md"), text.ToString());
    }

    /// <summary>One workload's table: a row per contender that <paramref name="include"/> accepts (ns, ratios of medians).</summary>
    internal static void AppendTable(StringBuilder text, Func<string, double?> median, Func<string, double?> min, Func<string, bool> include)
    {
        text.Append("| Contender | Median ns | Min ns | / NativeMemory | / memkind pmem | / mimalloc |\n");
        text.Append("|---|---:|---:|---:|---:|---:|\n");
        foreach ((string method, string label) in ContenderLabels)
        {
            if (!include(method)) continue;
            double? value = median(method);
            text.Append($"| {label} | {Format(value)} | {Format(min(method))} | {Ratio(value, median("NativeMemory"))} | " +
                        $"{Ratio(value, median(MemkindOf(method)))} | {Ratio(value, median("Mimalloc"))} |\n");
        }
    }

    /// <summary>The memkind pmem a contender is compared with: the same directory's for MemoryKinds pmem /tmp, /dev/shm's otherwise.</summary>
    internal static string MemkindOf(string method) => method == "MemoryKindsPmemTmp" ? "MemkindPmemTmp" : "MemkindPmemShm";

    /// <summary>ns with one decimal and thousands separators ("1,409.7"), or NA.</summary>
    internal static string Format(double? ns) => ns is double v ? v.ToString("N1", CultureInfo.InvariantCulture) : "NA";

    /// <summary>a / b with two decimals and an x ("0.85x"), or NA when either is missing or b is 0.</summary>
    internal static string Ratio(double? a, double? b) =>
        a is double x && b is double y && y != 0 ? (x / y).ToString("F2", CultureInfo.InvariantCulture) + "x" : "NA";

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
