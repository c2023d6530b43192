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
    private static readonly (string Method, string Label)[] s_contenders =
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
                text.AppendLine("| Contender | Median ns | Min ns | / NativeMemory | / memkind pmem | / mimalloc |");
                text.AppendLine("|---|---:|---:|---:|---:|---:|");
                foreach ((string method, string label) in s_contenders)
                {
                    if (!byMethod.ContainsKey(method)) continue;
                    string memkind = method == "MemoryKindsPmemTmp" ? "MemkindPmemTmp" : "MemkindPmemShm";
                    double? median = Median(method);
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"| {label} | {Format(median)} | {Format(Min(method))} | {Ratio(median, Median("NativeMemory"))} | " +
                        $"{Ratio(median, Median(memkind))} | {Ratio(median, Median("Mimalloc"))} |");
                }
                text.AppendLine();
            }
        }
        if (text.Length == 0) return;
        text.Insert(0, $"Load average at the end of the run: {LoadAverage()}\n\n");
        Console.WriteLine();
        Console.WriteLine(text);
        if (directory is not null) File.WriteAllText(Path.Combine(directory, "micro-summary.md"), text.ToString());
    }

    private static string Format(double? ns) => ns is double v ? v.ToString("N1", CultureInfo.InvariantCulture) : "NA";

    private static string Ratio(double? a, double? b) =>
        a is double x && b is double y && y > 0 ? (x / y).ToString("F2", CultureInfo.InvariantCulture) + "x" : "NA";

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
