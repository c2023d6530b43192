using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// Space workloads.
/// <para><b>fill</b>: a bounded pmem kind (16 MiB, the minimum of both libraries) in /dev/shm, per usage policy and size
/// class: allocate blocks of one size until the kind fails, check and free them all, again for <c>cycles</c> cycles; the
/// result is the first cycle's count and the smallest count of any later cycle as a fraction of it.</para>
/// <para><b>mixed</b>: on an unbounded contender, random sizes (90% 16–1024 B, 9% 1–64 KiB, 1% 64 KiB–1 MiB), the live
/// set ramping up to <c>peakLive</c> bytes, down to a quarter, up again and down to nothing, with random frees throughout;
/// peak file bytes (st_blocks, sampled every 256 operations) and peak RSS growth (VmHWM after a reset, minus VmRSS at the
/// start) over the peak live bytes (sum of requested sizes).</para>
/// </summary>
public static unsafe class SpaceWorkloads
{
    public const long BoundedSize = 16L << 20;
    public static readonly nuint[] SmallSizes = [64, 1024, 4096];
    public static readonly nuint[] LargeSizes = [64 << 10, 1 << 20];

    public const long MixedFillSize = 64L << 20;

    /// <summary>A bounded-kind contender: <c>Create(maxSize)</c> makes a kind of that limit; <c>Describe</c> and
    /// <c>FileBytes</c> (ours only) say where the kind's space is at that moment and how many bytes its file holds.</summary>
    public sealed record FillContender(string Name, Func<long, nint> Create, Func<nint, nuint, nint> TryAlloc, Action<nint, nint> Free,
        Action<nint> Destroy, Func<nint, string>? Describe = null, Func<nint, long>? FileBytes = null);

    public sealed record FillResult(string Contender, nuint Size, int First, int Min, int Last, int Cycles, double Ms)
    {
        public double Kept => First == 0 ? 0 : (double)Min / First;
    }

    private static readonly List<PmemKind?> s_kinds = [null];

    /// <summary>Our pmem kind and memkind's, per usage policy, in <paramref name="directory"/>.</summary>
    public static List<FillContender> FillContenders(string directory)
    {
        var list = new List<FillContender>();
        foreach (MemoryUsagePolicy policy in new[] { MemoryUsagePolicy.Default, MemoryUsagePolicy.Conservative })
        {
            MemoryUsagePolicy p = policy;
            list.Add(new FillContender($"MemoryKinds pmem {directory} {p}",
                maxSize =>
                {
                    s_kinds.Add(PmemKind.Create(new PmemConfig(directory) { Size = maxSize, UsagePolicy = p }));
                    return s_kinds.Count - 1;
                },
                (k, size) => (nint)s_kinds[(int)k]!.TryAlloc(size),
                (k, ptr) => s_kinds[(int)k]!.Free((void*)ptr),
                k => { s_kinds[(int)k]!.Dispose(); s_kinds[(int)k] = null; },
                k => $"{s_kinds[(int)k]!.GetStats()}, file blocks {Report.Bytes(s_kinds[(int)k]!.Source.StorageBytes)}",
                k => s_kinds[(int)k]!.Source.StorageBytes));
        }
        if (Memkind.IsAvailable)
        {
            nint utf8 = Marshal.StringToCoTaskMemUTF8(directory);
            foreach (int policy in new[] { 0, 1 })
            {
                int p = policy;
                list.Add(new FillContender($"memkind pmem {directory} {(p == 0 ? "Default" : "Conservative")}",
                    maxSize => Memkind.CreatePmem((byte*)utf8, (nuint)maxSize, p),
                    (k, size) => (nint)Memkind.memkind_malloc(k, size),
                    (k, ptr) => Memkind.memkind_free(k, (void*)ptr),
                    Memkind.Destroy));
            }
        }
        return list;
    }

    public static FillResult Fill(FillContender c, nuint size, int cycles, long kindSize = BoundedSize)
    {
        long start = Stopwatch.GetTimestamp();
        nint kind = c.Create(kindSize);
        var blocks = new List<Block>(1 << 18);
        int first = 0, min = int.MaxValue, last = 0;
        try
        {
            for (int cycle = 0; cycle < cycles; cycle++)
            {
                while (true)
                {
                    nint p = c.TryAlloc(kind, size);
                    if (p == 0) break;
                    blocks.Add(Pattern.Fill((void*)p, size));
                }
                if (cycle == 0) first = blocks.Count; else min = Math.Min(min, blocks.Count);
                last = blocks.Count;
                foreach (Block b in blocks)
                {
                    Pattern.Check(b, c.Name);
                    c.Free(kind, b.P);
                }
                blocks.Clear();
            }
        }
        finally
        {
            foreach (Block b in blocks) c.Free(kind, b.P);
            c.Destroy(kind);
        }
        if (cycles == 1) min = first;
        return new FillResult(c.Name, size, first, min, last, cycles, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    public sealed record MixedFillResult(string Contender, long FirstLive, long RefillLive, string Where);

    /// <summary>
    /// <b>mixed fill</b>: a <see cref="MixedFillSize"/> kind filled with random sizes (90% 16–1024 B, 9% 1–64 KiB, 1%
    /// 64 KiB–1 MiB) until the first failure; live bytes (sum of requested sizes) then; a random half freed and the kind
    /// refilled until the next failure; live bytes again.
    /// </summary>
    public static MixedFillResult MixedFill(FillContender c, int seed)
    {
        var rng = new Random(seed);
        nint kind = c.Create(MixedFillSize);
        var blocks = new List<Block>(1 << 18);
        try
        {
            long first = FillUntilFailure(c, kind, rng, blocks, 0);
            string where = c.Describe?.Invoke(kind) ?? "";
            long live = first;
            for (int i = blocks.Count - 1; i >= 0; i--)
            {
                int j = rng.Next(i + 1);
                (blocks[i], blocks[j]) = (blocks[j], blocks[i]);
            }
            int half = blocks.Count / 2;
            for (int i = blocks.Count - 1; i >= half; i--)
            {
                Pattern.Check(blocks[i], c.Name);
                c.Free(kind, blocks[i].P);
                live -= (long)blocks[i].Size;
                blocks.RemoveAt(i);
            }
            long refill = FillUntilFailure(c, kind, rng, blocks, live);
            return new MixedFillResult(c.Name, first, refill, where + " | " + (c.Describe?.Invoke(kind) ?? ""));
        }
        finally
        {
            foreach (Block b in blocks) c.Free(kind, b.P);
            c.Destroy(kind);
        }
    }

    private static long FillUntilFailure(FillContender c, nint kind, Random rng, List<Block> blocks, long live)
    {
        while (true)
        {
            int dice = rng.Next(100);
            nuint size = dice < 90 ? (nuint)rng.Next(16, 1025) : dice < 99 ? (nuint)rng.Next(1024, 65537) : (nuint)rng.Next(65536, (1 << 20) + 1);
            nint p = c.TryAlloc(kind, size);
            if (p == 0) return live;
            blocks.Add(Pattern.Fill((void*)p, size));
            live += (long)size;
        }
    }

    public sealed record MixedResult(string Contender, long PeakLive, long PeakFile, long FinalFile, long PeakRssGrowth, double Ms, long Ops);

    public static MixedResult Mixed(Contender contender, long peakLive, int seed)
    {
        return RunMixed((dynamic)contender, peakLive, seed);
    }

    private static MixedResult RunMixed<T>(Contender<T> c, long peakLive, int seed) where T : struct, IAllocator
    {
        T a = c.Allocator;
        var rng = new Random(seed);
        var live = new List<Block>(1 << 16);
        long liveBytes = 0, peak = 0, peakFile = 0, ops = 0;
        GC.Collect();
        long rss0 = ProcessMemory.Rss;
        bool peakReset = ProcessMemory.ResetPeak();
        long start = Stopwatch.GetTimestamp();
        long[] targets = [peakLive, peakLive / 4, peakLive, 0];
        foreach (long target in targets)
        {
            bool up = target > liveBytes;
            while (up ? liveBytes < target : liveBytes > target)
            {
                // Going up: 70% allocations; going down: 70% frees.
                bool alloc = live.Count == 0 || (rng.Next(100) < 70) == up;
                if (alloc)
                {
                    int dice = rng.Next(100);
                    nuint size = dice < 90 ? (nuint)rng.Next(16, 1025) : dice < 99 ? (nuint)rng.Next(1024, 65537) : (nuint)rng.Next(65536, 1 << 20);
                    live.Add(Pattern.New(ref a, size));
                    liveBytes += (long)size;
                    peak = Math.Max(peak, liveBytes);
                }
                else
                {
                    int k = rng.Next(live.Count);
                    Block b = live[k];
                    live[k] = live[^1];
                    live.RemoveAt(live.Count - 1);
                    liveBytes -= (long)b.Size;
                    Pattern.Delete(ref a, b);
                }
                if ((++ops & 255) == 0 && c.FileBytes is not null) peakFile = Math.Max(peakFile, c.FileBytes());
            }
            if (c.FileBytes is not null) peakFile = Math.Max(peakFile, c.FileBytes());
        }
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        long rssGrowth = peakReset ? ProcessMemory.PeakRss - rss0 : -1;
        long finalFile = c.FileBytes is null ? -1 : c.FileBytes();
        return new MixedResult(c.Name, peak, c.FileBytes is null ? -1 : peakFile, finalFile, rssGrowth, ms, ops);
    }
}
