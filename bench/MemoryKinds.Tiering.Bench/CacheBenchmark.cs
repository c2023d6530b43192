using System.Runtime.InteropServices;
using System.Text;
using MemoryKinds;

/// <summary>
/// The cache workload on every configuration: all-DRAM, all-pmem (two directories), 1:N tiers placed by StaticRatio
/// alone, and the same with promotion. Every configuration holds the same keys and replays the same trace; in each
/// round each runs the same number of operations, in an order that rotates per round, so drift in the machine's load
/// falls on all alike. Round 0 is a warm-up and is not recorded.
/// </summary>
internal static unsafe class CacheBenchmark
{
    private const int Seed = 11;

    public static List<CacheResult> Run(BenchOptions options, CheckList checks, StringBuilder report)
    {
        byte* payload = (byte*)NativeMemory.Alloc((nuint)options.MaxValue);
        new Random(Seed).NextBytes(new Span<byte>(payload, options.MaxValue));
        int traceLength = (int)Math.Min(1L << 22, (long)(options.Rounds + 1) * options.OpsPerRound);
        OperationTrace trace = OperationTrace.Create(options.Keys, options.ZipfSkew, options.GetPercent, traceLength, Seed);
        int[] lengths = ValueLengths(options);
        List<CacheUnderTest> caches = Configurations(options, payload);
        try
        {
            foreach (CacheUnderTest cache in caches) cache.Fill(lengths);
            long valueBytes = lengths.Sum(l => (long)l);
            Output.Line(report, $"Cache: {options.Keys:N0} keys, Zipf {Stats.F(options.ZipfSkew)}, values {Stats.Bytes(options.MinValue)}-{Stats.Bytes(options.MaxValue)} " +
                $"log-uniform per key ({Stats.Bytes(valueBytes)} of values per configuration), {options.GetPercent}% gets, sets {(options.SetsReplace ? "replace the block" : "overwrite in place")}; " +
                $"one thread; {options.Rounds} rounds of {options.OpsPerRound:N0} operations per configuration after a warm-up round; " +
                $"promotion: one access in {options.SampleEvery} counted, a sweep every {options.SweepEvery:N0} operations, promoted from {options.MinHits} counted accesses (halved every sweep).");
            if (options.PmemPenaltyNs > 0)
                Output.Line(report, $"EMULATED SLOWER TIER: every access of a value in a pmem kind spins {options.PmemPenaltyNs} ns (--pmem-penalty-ns); not a measurement of any device.");
            Output.Line(report, CacheReport.OracleLine(options, trace, lengths));
            Output.Line(report, $"Load average before: {Stats.LoadAverage()}");

            var opsPerSecond = caches.Select(_ => new List<double>()).ToArray();
            long[] recordedTicks = new long[caches.Count];
            for (int round = 0; round <= options.Rounds; round++)
            {
                for (int k = 0; k < caches.Count; k++)
                {
                    int which = (k + round) % caches.Count;
                    long ticks = caches[which].Run(trace, options.OpsPerRound);
                    if (round == 0) continue;
                    opsPerSecond[which].Add(options.OpsPerRound * (double)System.Diagnostics.Stopwatch.Frequency / ticks);
                    recordedTicks[which] += ticks;
                }
                if (round == 0)
                {
                    foreach (CacheUnderTest cache in caches)
                    {
                        cache.ResetCounts();
                        cache.Promotion?.ResetCounts();
                    }
                }
            }
            Output.Line(report, $"Load average after: {Stats.LoadAverage()}");
            List<CacheResult> results = [.. caches.Select((c, i) => CacheReport.Result(c, opsPerSecond[i], opsPerSecond[0], recordedTicks[i]))];
            CacheReport.Table(report, results);
            CacheChecks.Run(options, checks, caches, results);
            return results;
        }
        finally
        {
            foreach (CacheUnderTest cache in caches) cache.Dispose();
            NativeMemory.Free(payload);
        }
    }

    private static List<CacheUnderTest> Configurations(BenchOptions options, byte* payload)
    {
        string ratio = $"1:{options.PmemRatio}";
        var caches = new List<CacheUnderTest>
        {
            new("all DRAM", new OneKindMemory(NewDramKind(), isDram: true), null, options, payload),
            new($"all pmem {FileSystems.Describe(options.Dir)}", new OneKindMemory(PmemKind.Create(options.Dir), isDram: false), null, options, payload),
        };
        if (options.Ext4Dir is string second)
            caches.Add(new($"all pmem {FileSystems.Describe(second)}", new OneKindMemory(PmemKind.Create(second), isDram: false), null, options, payload));
        caches.Add(new($"{ratio} StaticRatio, no promotion", new TieredValueMemory(NewDramKind(), PmemKind.Create(options.Dir), options.PmemRatio), null, options, payload));
        var promoted = new TieredValueMemory(NewDramKind(), PmemKind.Create(options.Dir), options.PmemRatio);
        caches.Add(new($"{ratio} StaticRatio + promotion", promoted, new PromotionSweep(promoted, options.Keys, options.MinHits), options, payload));
        // Debugging (profiling one configuration): TIERBENCH_CONFIG=substring keeps only the matching configurations;
        // ratios are then against the first one kept.
        if (Environment.GetEnvironmentVariable("TIERBENCH_CONFIG") is string filter)
        {
            foreach (CacheUnderTest dropped in caches.Where(c => !c.Name.Contains(filter, StringComparison.Ordinal))) dropped.Dispose();
            caches.RemoveAll(c => !c.Name.Contains(filter, StringComparison.Ordinal));
        }
        return caches;
    }

    /// <summary>A DRAM kind of its own (the engine of <see cref="MemoryKind.Default"/>, over the same source type), so its stats are the values' alone.</summary>
    private static MemoryKind NewDramKind() => MemoryKind.Create($"tierbench-dram-{Guid.NewGuid():N}", new AnonymousMemorySource());

    /// <summary>Value lengths, log-uniform between the smallest and largest, drawn once per key.</summary>
    private static int[] ValueLengths(BenchOptions options)
    {
        var random = new Random(Seed + 1);
        double span = Math.Log((double)options.MaxValue / options.MinValue);
        return [.. Enumerable.Range(0, options.Keys).Select(_ => (int)Math.Min(options.MaxValue, Math.Round(options.MinValue * Math.Exp(random.NextDouble() * span))))];
    }
}
