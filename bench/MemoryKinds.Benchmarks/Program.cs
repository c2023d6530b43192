// MemoryKinds micro-benchmarks: MemoryKinds vs NativeMemory (glibc) vs memkind vs mimalloc. Run ../run-micro.sh, or
//   dotnet run -c Release -- --filter '*'
// Merge several runs into docs/benchmarks.md's tables (and charts): dotnet run -c Release -- --summarize DIR... [--charts OUTDIR]
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using MemoryKinds.Benchmarks;
using Perfolizer.Horology;

// --summarize: no benchmark runs; reads earlier runs' CSV reports (see RunSummary.cs). Before anything is printed: stdout is the markdown.
if (args.Length > 0 && args[0] == "--summarize")
{
    Environment.ExitCode = RunSummary.Summarize(args[1..]);
    return;
}

string memkindStatus = Memkind.IsAvailable ? $"memkind: {Memkind.LibraryName} loaded" : Memkind.MissingMessage;
string mimallocStatus = Mimalloc.IsAvailable ? $"mimalloc: {Mimalloc.LibraryName} loaded" : Mimalloc.MissingMessage;
Console.WriteLine(memkindStatus);
Console.WriteLine(mimallocStatus);

// --interleaved: the alloc+free pairs and the random mix of all contenders in one process, taking turns (see Interleaved.cs); no BenchmarkDotNet.
if (args.Contains("--interleaved"))
{
    Interleaved.Run();
    return;
}

// --smoke: one invocation per case (BenchmarkDotNet's Dry job), to check that every contender works; numbers are meaningless.
bool smoke = args.Contains("--smoke");
args = args.Where(a => a != "--smoke").ToArray();

// Exporters: BenchmarkDotNet's defaults (GitHub markdown, CSV, HTML) into BenchmarkDotNet.Artifacts/results.
// Short on purpose: the whole run (92 cases) takes about 9 minutes on a 2-core machine. Medians are what docs/benchmarks.md reports.
Job job = Job.Default
    .WithId("Short")
    .WithLaunchCount(1)
    .WithWarmupCount(3)
    .WithIterationCount(15)
    .WithIterationTime(TimeInterval.FromMilliseconds(200));

IConfig config = DefaultConfig.Instance
    .AddJob(smoke ? Job.Dry : job)
    .AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
    .WithSummaryStyle(SummaryStyle.Default.WithTimeUnit(TimeUnit.Nanosecond));

IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args, config);
if (!smoke) MicroSummary.Write(summaries);

// Repeat at the end, where it is seen: a missing memkind or mimalloc shows as NA rows above, this says why.
Console.WriteLine(memkindStatus);
Console.WriteLine(mimallocStatus);
