using System.Diagnostics;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// A check beside BenchmarkDotNet for a noisy machine (<c>--interleaved</c>): every contender runs in the same process,
/// taking turns in short slices (round-robin, the order rotating each round), so load from other processes falls on all
/// of them alike. Per contender and size it prints the median and minimum ns per alloc+free pair, and for the ratios the
/// median over rounds of the per-round ratio (each round's contenders ran within a few milliseconds of each other).
/// </summary>
internal static unsafe class Interleaved
{
    private const int Rounds = 201;
    private const int PairsPerSlice = 20_000;

    private sealed class Contender(string name, Func<nuint, int, long> run, Action dispose)
    {
        public string Name { get; } = name;
        public Func<nuint, int, long> Run { get; } = run;
        public Action Dispose { get; } = dispose;
    }

    private sealed class Box<T>(T value) where T : struct, IAllocator
    {
        public T Value = value;

        public long Pairs(nuint size, int count)
        {
            long start = Stopwatch.GetTimestamp();
            Loops.Pairs(ref Value, size, count);
            return Stopwatch.GetTimestamp() - start;
        }
    }

    private static Contender Make<T>(T allocator) where T : struct, IAllocator
    {
        var box = new Box<T>(allocator);
        return new Contender(allocator.Name, box.Pairs, () => box.Value.Dispose());
    }

    public static void Run()
    {
        var contenders = new List<Contender>
        {
            Make(new NativeAllocator()),
            Make(KindAllocator.Pmem(Dirs.Shm)),
            Make(KindAllocator.Pmem(Dirs.Tmp)),
            Make(KindAllocator.Default()),
        };
        if (Memkind.IsAvailable)
        {
            contenders.Add(Make(MemkindAllocator.Pmem(Dirs.Shm)));
            contenders.Add(Make(MemkindAllocator.Pmem(Dirs.Tmp)));
            contenders.Add(Make(MemkindAllocator.Default()));
        }
        else
        {
            Console.WriteLine(Memkind.MissingMessage);
        }

        Console.WriteLine($"Interleaved alloc+free pairs: {Rounds} rounds x {PairsPerSlice} pairs per contender per round, ns per pair");
        Console.WriteLine("| Size | Contender | Median ns | Min ns | vs NativeMemory (median of per-round ratios) | vs MemoryKinds pmem same dir |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");
        foreach (nuint size in new nuint[] { 16, 64, 1024 })
        {
            foreach (Contender c in contenders) c.Run(size, PairsPerSlice * 5); // warm-up: JIT tiers, pages, thread heaps
            var ns = new double[contenders.Count][];
            for (int i = 0; i < contenders.Count; i++) ns[i] = new double[Rounds];
            for (int round = 0; round < Rounds; round++)
            {
                for (int k = 0; k < contenders.Count; k++)
                {
                    int i = (k + round) % contenders.Count;
                    long ticks = contenders[i].Run(size, PairsPerSlice);
                    ns[i][round] = ticks * 1e9 / Stopwatch.Frequency / PairsPerSlice;
                }
            }
            for (int i = 0; i < contenders.Count; i++)
            {
                string name = contenders[i].Name;
                int pmemOfSameDir = name.StartsWith("memkind pmem", StringComparison.Ordinal)
                    ? contenders.FindIndex(c => c.Name == "MemoryKinds pmem " + name["memkind pmem ".Length..])
                    : -1;
                Console.WriteLine($"| {size} | {name} | {Median(ns[i]):F1} | {ns[i].Min():F1} | {RatioMedian(ns[i], ns[0]):F2}x | " +
                                  $"{(pmemOfSameDir >= 0 ? $"{RatioMedian(ns[i], ns[pmemOfSameDir]):F2}x" : "")} |");
            }
        }
        foreach (Contender c in contenders) c.Dispose();
        Lifecycles();
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
