using System.Diagnostics;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// A check beside BenchmarkDotNet for a noisy machine (<c>--interleaved</c>): every contender runs in the same process,
/// taking turns in short slices (round-robin, the order rotating each round), so load from other processes falls on all
/// of them alike. Cases: the alloc+free pair at 16, 64 and 1024 B, and the random-size mix (16–1024 B, 1,000 live
/// blocks, <see cref="RandomMix"/>). Per case and contender it prints the median and minimum ns per operation, and for
/// the ratios the median over rounds of the per-round ratio (each round's contenders ran within a few milliseconds of
/// each other).
/// </summary>
internal static unsafe class Interleaved
{
    private const int Rounds = 201;
    private const int OpsPerSlice = 20_000;

    /// <summary>A contender behind an interface: one interface call per slice of <see cref="OpsPerSlice"/> operations, none inside it.</summary>
    private interface IContender : IDisposable
    {
        string Name { get; }
        long Pairs(nuint size, int count);
        long Mix(int count);
    }

    private sealed class Box<T>(T value) : IContender where T : struct, IAllocator
    {
        private T _value = value;
        private RandomMix? _mix;

        public string Name => _value.Name;

        public long Pairs(nuint size, int count)
        {
            long start = Stopwatch.GetTimestamp();
            Loops.Pairs(ref _value, size, count);
            return Stopwatch.GetTimestamp() - start;
        }

        public long Mix(int count)
        {
            if (_mix is null)
            {
                // Each contender has its own 1,000 live blocks and the same seeded sequence; filled once, outside any slice.
                _mix = new RandomMix();
                _mix.Fill(ref _value);
            }
            long start = Stopwatch.GetTimestamp();
            _mix.Run(ref _value, count);
            return Stopwatch.GetTimestamp() - start;
        }

        public void Dispose()
        {
            if (_mix is not null)
            {
                _mix.Drain(ref _value);
                _mix.Dispose();
                _mix = null;
            }
            _value.Dispose();
        }
    }

    public static void Run()
    {
        var contenders = new List<IContender>
        {
            new Box<NativeAllocator>(new NativeAllocator()),
            new Box<KindAllocator>(KindAllocator.Pmem(Dirs.Shm)),
            new Box<KindAllocator>(KindAllocator.Pmem(Dirs.Tmp)),
            new Box<KindAllocator>(KindAllocator.Default()),
        };
        if (Memkind.IsAvailable)
        {
            contenders.Add(new Box<MemkindAllocator>(MemkindAllocator.Pmem(Dirs.Shm)));
            contenders.Add(new Box<MemkindAllocator>(MemkindAllocator.Pmem(Dirs.Tmp)));
            contenders.Add(new Box<MemkindAllocator>(MemkindAllocator.Default()));
        }
        else
        {
            Console.WriteLine(Memkind.MissingMessage);
        }
        if (Mimalloc.IsAvailable) contenders.Add(new Box<MimallocAllocator>(MimallocAllocator.Create()));
        else Console.WriteLine(Mimalloc.MissingMessage);

        Console.WriteLine($"Interleaved: {Rounds} rounds x {OpsPerSlice} operations per contender per round; ns per operation " +
                          "(pair: one Alloc + Free; mix: one Free + one Alloc of a random size, 1,000 live blocks).");
        Console.WriteLine("Ratios are this contender's time over the other's, median of per-round ratios (< 1 = faster); " +
                          "memkind pmem is the same directory's for the MemoryKinds pmem rows, /dev/shm's for the rest.");
        Console.WriteLine($"Load average at start: {LoadAverage()}");
        Console.WriteLine("| Case | Contender | Median ns | Min ns | / NativeMemory | / memkind pmem | / mimalloc |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (nuint size in new nuint[] { 16, 64, 1024 })
            Measure($"pair {size} B", contenders, c => c.Pairs(size, OpsPerSlice));
        Measure("random mix 16-1024 B", contenders, c => c.Mix(OpsPerSlice));
        Console.WriteLine($"Load average at end: {LoadAverage()}");
        foreach (IContender c in contenders) c.Dispose();
        Lifecycles();
    }

    private static void Measure(string label, List<IContender> contenders, Func<IContender, long> slice)
    {
        // Warm-up: JIT tiers, pages, thread heaps, the mix's live set.
        for (int w = 0; w < 5; w++)
            foreach (IContender c in contenders) slice(c);
        var ns = new double[contenders.Count][];
        for (int i = 0; i < contenders.Count; i++) ns[i] = new double[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            for (int k = 0; k < contenders.Count; k++)
            {
                int i = (k + round) % contenders.Count;
                ns[i][round] = slice(contenders[i]) * 1e9 / Stopwatch.Frequency / OpsPerSlice;
            }
        }
        int native = contenders.FindIndex(c => c.Name.StartsWith("NativeMemory", StringComparison.Ordinal));
        int mimalloc = contenders.FindIndex(c => c.Name == "mimalloc");
        int memkindShm = contenders.FindIndex(c => c.Name == "memkind pmem " + Dirs.Shm);
        for (int i = 0; i < contenders.Count; i++)
        {
            string name = contenders[i].Name;
            int memkind = name.StartsWith("MemoryKinds pmem ", StringComparison.Ordinal)
                ? contenders.FindIndex(c => c.Name == "memkind pmem " + name["MemoryKinds pmem ".Length..])
                : memkindShm;
            Console.WriteLine($"| {label} | {name} | {Median(ns[i]):F1} | {ns[i].Min():F1} | {Ratio(ns, i, native)} | " +
                              $"{Ratio(ns, i, memkind)} | {Ratio(ns, i, mimalloc)} |");
        }
    }

    private static string Ratio(double[][] ns, int i, int reference) =>
        reference < 0 ? "missing" : $"{RatioMedian(ns[i], ns[reference]):F2}x";

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

    /// <summary>Create + Alloc(64) + Free + destroy of a pmem kind, MemoryKinds and memkind taking turns per directory.</summary>
    private static void Lifecycles()
    {
        const int LifecycleRounds = 41, PerSlice = 10;
        Console.WriteLine();
        Console.WriteLine($"Interleaved kind create+alloc+free+destroy: {LifecycleRounds} rounds x {PerSlice} per contender, µs each");
        Console.WriteLine("| Directory | MemoryKinds median µs | MemoryKinds min µs | memkind median µs | memkind min µs | memkind / MemoryKinds (median of per-round ratios) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (string dir in new[] { Dirs.Shm, Dirs.Tmp })
        {
            nint dirUtf8 = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(dir);
            long Mk()
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < PerSlice; i++)
                {
                    using PmemKind kind = PmemKind.Create(dir);
                    kind.Free(kind.Alloc(64));
                }
                return Stopwatch.GetTimestamp() - start;
            }
            long Mm()
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < PerSlice; i++)
                {
                    nint kind = Memkind.CreatePmem((byte*)dirUtf8, 0);
                    Memkind.memkind_free(kind, Memkind.memkind_malloc(kind, 64));
                    Memkind.Destroy(kind);
                }
                return Stopwatch.GetTimestamp() - start;
            }
            bool memkind = Memkind.IsAvailable;
            Mk();
            if (memkind) Mm();
            var a = new double[LifecycleRounds];
            var b = new double[LifecycleRounds];
            for (int round = 0; round < LifecycleRounds; round++)
            {
                if (memkind && round % 2 == 1) b[round] = Mm() * 1e6 / Stopwatch.Frequency / PerSlice;
                a[round] = Mk() * 1e6 / Stopwatch.Frequency / PerSlice;
                if (memkind && round % 2 == 0) b[round] = Mm() * 1e6 / Stopwatch.Frequency / PerSlice;
            }
            System.Runtime.InteropServices.Marshal.FreeCoTaskMem(dirUtf8);
            Console.WriteLine(memkind
                ? $"| {dir} | {Median(a):F1} | {a.Min():F1} | {Median(b):F1} | {b.Min():F1} | {RatioMedian(b, a):F2}x |"
                : $"| {dir} | {Median(a):F1} | {a.Min():F1} | missing | missing | |");
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    private static double RatioMedian(double[] a, double[] b) => Median([.. a.Zip(b, (x, y) => x / y)]);
}
