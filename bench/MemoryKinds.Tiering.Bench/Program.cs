// Tiered memory benchmark (issue 11): a cache with Zipf-distributed keys and 1-64 KiB values on all-DRAM, all-pmem and
// 1:4 DRAM:pmem tiers (TieredMemory StaticRatio, with and without promotion of hot entries), and what TieredMemory's
// placement adds to an Alloc+Free pair. Configurations take turns in one process; medians over rounds.
// "pmem" here is a file on tmpfs or ext4, DRAM underneath: the numbers are tiering's overhead and the DRAM it saves,
// not a slower tier's cost (--pmem-penalty-ns emulates one, clearly labelled). See docs/benchmarks.md, "Tiering".
//   dotnet bench/MemoryKinds.Tiering.Bench/bin/Release/net10.0/MemoryKinds.Tiering.Bench.dll [--quick] [options]
// Exit code 1 when a correctness check fails (values, byte counts, shares); timings are never checked.
using System.Diagnostics;
using System.Text;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (args.Contains("--help"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

var clock = Stopwatch.StartNew();
string results = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../results")); // bench/MemoryKinds.Tiering.Bench/results
string charts = options.ChartDir ?? results;
var report = new StringBuilder();
var checks = new CheckList();
Output.Line(report, $"MemoryKinds tiering benchmark, {options.Mode} mode; {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                    $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; pmem directory {FileSystems.Describe(options.Dir)}.");
Output.Line(report, "Note: \"pmem\" is a file on a RAM-backed or page-cached file system here, DRAM-speed underneath: compare the overhead and the DRAM bytes, not a slow tier's cost.");

if (options.Only is null or "cache")
{
    List<CacheResult> cache = CacheBenchmark.Run(options, checks, report);
    string subtitle = $"Zipf {Stats.F(options.ZipfSkew)}, {options.GetPercent}% gets" + (options.PmemPenaltyNs > 0 ? $", EMULATED +{options.PmemPenaltyNs} ns per pmem access" : "");
    Charts.Cache(Path.Combine(charts, options.PmemPenaltyNs > 0 ? "tiering-cache-emulated.png" : "tiering-cache.png"), cache, subtitle);
}
if (options.Only is null or "placement")
    Charts.Placement(Path.Combine(charts, "tiering-placement.png"), PlacementBenchmark.Run(options, checks, report));

Output.Line(report, "");
Output.Line(report, $"{checks.Count - checks.Failed} of {checks.Count} checks passed; done in {clock.Elapsed.TotalSeconds:F0} s.");
Directory.CreateDirectory(results);
string file = Path.Combine(results, $"tiering-{options.Mode}{(options.Only is null ? "" : "-" + options.Only)}.md");
File.WriteAllText(file, report.ToString());
Console.WriteLine($"Wrote {file} (charts in {charts})");
if (options.JUnitPath is string junit) checks.WriteJUnit(junit);
return checks.Failed == 0 ? 0 : 1;
