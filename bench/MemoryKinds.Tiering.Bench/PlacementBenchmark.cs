using System.Diagnostics;
using System.Text;
using MemoryKinds;

/// <summary>One row of the placement part: median ns per operation of a contender in a case.</summary>
internal sealed record PlacementResult(string Case, int Threads, string Contender, double MedianNs, double? AddedVsPmemNs);

/// <summary>
/// What placement costs: TieredMemory's Alloc+Free against the plain kinds' on 64-byte pairs and on the 16-1024 B
/// random mix (one Free + one Alloc a step, 1,000 live blocks per thread, as the micro-benchmarks' mix), at 1 and 2
/// threads. Contenders take turns in slices, the order rotating per round; medians over rounds, and the added cost as
/// the median of per-round differences. The mix runs first, so the pairs run with the mix's blocks live in each object
/// (StaticRatio then places by the shares those give).
/// </summary>
internal static class PlacementBenchmark
{
    private const int WarmUpSlices = 5;

    public static List<PlacementResult> Run(BenchOptions options, CheckList checks, StringBuilder report)
    {
        int opsPerSlice = options.Quick ? 20_000 : 50_000;
        string ratio = $"1:{options.PmemRatio}";
        var contenders = new List<PlacementContender>
        {
            PlacementContender.Kind("DRAM kind", NewDramKind()),
            PlacementContender.Kind($"pmem kind {options.Dir}", PmemKind.Create(options.Dir)),
        };
        contenders.Add(OneTier(options.Dir));
        contenders.Add(Tiered($"TieredMemory StaticRatio {ratio}", TierPolicy.StaticRatio, options));
        contenders.Add(Tiered($"TieredMemory DynamicThreshold {ratio}", TierPolicy.DynamicThreshold, options));
        const int Pmem = 1, Dram = 0;

        var results = new List<PlacementResult>();
        Output.Line(report, "");
        Output.Line(report, $"Placement: {options.PlacementRounds} rounds x {opsPerSlice:N0} operations per contender and thread; ns per operation per thread " +
                     "(pair: Alloc + Free; mix: Free + Alloc of 16-1024 B, 1,000 live blocks per thread). Added = median over rounds of (this - plain kind) in the same round.");
        Output.Line(report, $"Load average before: {Stats.LoadAverage()}");
        Output.Line(report, "");
        Output.Line(report, "| case | threads | contender | median ns | min ns | added vs pmem kind | added vs DRAM kind | allocations placed in DRAM | DRAM share of live bytes after |");
        Output.Line(report, "|---|---:|---|---:|---:|---:|---:|---:|---:|");
        using var one = new SliceThreads(1);
        using var two = new SliceThreads(2);
        try
        {
            foreach (SliceThreads threads in new[] { one, two })
            {
                int n = threads.Count;
                var cases = new (string Name, Action<PlacementContender, int> Slice)[]
                {
                    ("mix 16-1024 B", (c, t) => c.Mix(n, t, opsPerSlice)),
                    ("pair 64 B", (c, _) => c.Pairs(64, opsPerSlice)),
                };
                foreach ((string name, Action<PlacementContender, int> slice) in cases)
                {
                    long[] dramAllocationsBefore = [.. contenders.Select(c => DramAllocations(c))];
                    long[] allAllocationsBefore = [.. contenders.Select(c => AllAllocations(c))];
                    double[][] ns = Measure(contenders, threads, slice, options.PlacementRounds, opsPerSlice);
                    for (int i = 0; i < contenders.Count; i++)
                    {
                        PlacementContender c = contenders[i];
                        double? added = i > Pmem ? Stats.Median(ns[i].Zip(ns[Pmem], (a, b) => a - b)) : null;
                        double? addedDram = i > Pmem ? Stats.Median(ns[i].Zip(ns[Dram], (a, b) => a - b)) : null;
                        string placed = c.Tiers is null ? "" : Stats.Percent((double)(DramAllocations(c) - dramAllocationsBefore[i]) / Math.Max(1, AllAllocations(c) - allAllocationsBefore[i]));
                        string share = c.Tiers is TieredMemory tiers ? Stats.Percent(DramShareOfLive(tiers)) : "";
                        Output.Line(report, $"| {name} | {n} | {c.Name} | {Stats.F(Stats.Median(ns[i]), 1)} | {Stats.F(ns[i].Min(), 1)} | " +
                                     $"{(added is double a ? Stats.F(a, 1) : "")} | {(addedDram is double d ? Stats.F(d, 1) : "")} | {placed} | {share} |");
                        results.Add(new PlacementResult(name, n, c.Name, Stats.Median(ns[i]), added));
                    }
                }
            }
            Output.Line(report, $"Load average after: {Stats.LoadAverage()}");
            Check(options, checks, contenders);
        }
        finally
        {
            foreach (PlacementContender c in contenders) c.Dispose();
        }
        return results;
    }

    private static double[][] Measure(List<PlacementContender> contenders, SliceThreads threads, Action<PlacementContender, int> slice, int rounds, int opsPerSlice)
    {
        for (int w = 0; w < WarmUpSlices; w++)
            foreach (PlacementContender c in contenders) threads.Run(t => slice(c, t));
        double[][] ns = [.. contenders.Select(_ => new double[rounds])];
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < contenders.Count; k++)
            {
                int i = (k + round) % contenders.Count;
                PlacementContender c = contenders[i];
                ns[i][round] = threads.Run(t => slice(c, t)) * 1e9 / Stopwatch.Frequency / opsPerSlice;
            }
        }
        return ns;
    }

    private static void Check(BenchOptions options, CheckList checks, List<PlacementContender> contenders)
    {
        foreach (PlacementContender c in contenders.Where(c => c.Tiers is not null && c.Tiers.Policy == TierPolicy.StaticRatio && c.Tiers.Kinds.Count == 2))
        {
            double share = DramShareOfLive(c.Tiers!);
            checks.That($"StaticRatio keeps the mix's live bytes at DRAM's share within 0.01 after 1 and 2 threads: {c.Name}",
                Math.Abs(share - options.DramShare) <= 0.01, () => $"DRAM holds {Stats.Percent(share)} of the live bytes, target {Stats.Percent(options.DramShare)}");
        }
        foreach (PlacementContender c in contenders)
        {
            c.Drain();
            if (c.Tiers is not TieredMemory tiers) continue;
            long left = tiers.Kinds.Sum(k => tiers.AllocatedBytes(k));
            long kindsLeft = tiers.Kinds.Sum(k => k.GetStats().Allocated);
            checks.That($"every placed byte counted back after the frees: {c.Name}", left == 0 && kindsLeft == 0,
                () => $"{left} bytes still counted by the tiers, {kindsLeft} allocated in the kinds");
        }
    }

    private static double DramShareOfLive(TieredMemory tiers)
    {
        long total = tiers.Kinds.Sum(k => tiers.AllocatedBytes(k));
        return total == 0 ? 0 : (double)tiers.AllocatedBytes(tiers.Kinds[0]) / total;
    }

    private static long DramAllocations(PlacementContender c) => c.Tiers is TieredMemory t && t.Kinds.Count > 1 ? t.Kinds[0].GetCounters().Allocations : 0;

    private static long AllAllocations(PlacementContender c) => c.Tiers is TieredMemory t ? t.Kinds.Sum(k => k.GetCounters().Allocations) : 0;

    private static MemoryKind NewDramKind() => MemoryKind.Create($"tierbench-placement-dram-{Guid.NewGuid():N}", new AnonymousMemorySource());

    private static PlacementContender OneTier(string dir)
    {
        PmemKind pmem = PmemKind.Create(dir);
        return PlacementContender.Tiered("TieredMemory, one tier (pmem)", TieredMemory.Create(TierPolicy.StaticRatio, (pmem, 1)), pmem);
    }

    private static PlacementContender Tiered(string name, TierPolicy policy, BenchOptions options)
    {
        MemoryKind dram = NewDramKind();
        PmemKind pmem = PmemKind.Create(options.Dir);
        return PlacementContender.Tiered(name, TieredMemory.Create(policy, (dram, 1), (pmem, options.PmemRatio)), dram, pmem);
    }
}
