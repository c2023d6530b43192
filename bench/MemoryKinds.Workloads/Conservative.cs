using System.Diagnostics;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// Conservative-policy workloads (issue 9, target 2).
/// <para><b>cycle</b>: memkind's PmemMallocSizeConservative on a smaller kind: a <see cref="CycleKindSize"/> Conservative
/// kind filled with one size until the first failure, every block freed (each free gives storage back before it
/// returns), <c>cycles</c> times; ms per cycle, median over the cycles after the first.</para>
/// <para><b>pair</b>: one 64-byte alloc + write + free that empties its page every time, so each pair reserves and punches
/// storage; µs per pair, median of batches. memkind is not a contender: its Conservative kind segfaults in this loop on tmpfs.</para>
/// </summary>
public static unsafe class ConservativeWorkloads
{
    public const long CycleKindSize = 32L << 20;
    public static readonly nuint[] CycleSizes = [32, 300, 1000, 4096, 10_000];

    public sealed record CycleResult(string Contender, nuint Size, int Blocks, double MsPerCycle, long FileAfterFree);

    public sealed record PairResult(string Contender, double MicrosecondsPerPair);

    public static CycleResult Cycle(SpaceWorkloads.FillContender c, nuint size, int cycles)
    {
        nint kind = c.Create(CycleKindSize);
        var blocks = new List<nint>(1 << 20);
        var ms = new List<double>();
        int count = 0;
        try
        {
            for (int cycle = 0; cycle < cycles; cycle++)
            {
                long start = Stopwatch.GetTimestamp();
                for (nint p; (p = c.TryAlloc(kind, size)) != 0;)
                {
                    *(byte*)p = 1;
                    blocks.Add(p);
                }
                count = blocks.Count;
                foreach (nint p in blocks) c.Free(kind, p);
                blocks.Clear();
                if (cycle > 0 || cycles == 1) ms.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            return new CycleResult(c.Name, size, count, Report.Median(ms), c.FileBytes?.Invoke(kind) ?? -1);
        }
        finally
        {
            foreach (nint p in blocks) c.Free(kind, p);
            c.Destroy(kind);
        }
    }

    public static PairResult Pair(string directory, int pairs)
    {
        using PmemKind kind = PmemKind.Create(new PmemConfig(directory) { UsagePolicy = MemoryUsagePolicy.Conservative });
        var perPair = new List<double>();
        for (int batch = 0; batch < 11; batch++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < pairs; i++)
            {
                byte* p = (byte*)kind.Alloc(64);
                *p = 1;
                kind.Free(p);
            }
            if (batch > 0) perPair.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / pairs);
        }
        return new PairResult($"MemoryKinds pmem {directory} Conservative", Report.Median(perPair));
    }
}
