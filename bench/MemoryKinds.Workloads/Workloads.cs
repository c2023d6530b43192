using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace MemoryKinds.Benchmarks;

/// <summary>One workload cell (a workload at one thread count or size). Run returns the wall time in milliseconds.</summary>
public interface IWorkload
{
    string Group { get; }
    string Name { get; }
    /// <summary>Units of work per run (operations, pages, lifecycles) and their name, for the derived rate column.</summary>
    double Units { get; }
    string UnitName { get; }
    double Run<T>(T allocator) where T : struct, IAllocator;
}

/// <summary>
/// Larson-style server "bleeding" (after Larson and Krishnan's description): each of <c>threads</c> chains owns an array
/// of 1,000 slots; a thread repeatedly picks a random slot, checks and frees its block and allocates a new one of 8–1000
/// bytes. After each generation the thread exits and a new thread inherits the array, so blocks allocated by dead
/// threads are freed by new ones.
/// </summary>
public sealed class Larson(int threads, int totalOps, int generations = 8, int slots = 1000) : IWorkload
{
    public string Group => "multi-thread";
    public string Name => $"larson {threads}T";
    public double Units => totalOps;
    public string UnitName => "Mops/s";

    public double Run<T>(T a) where T : struct, IAllocator
    {
        var arrays = new Block[threads][];
        for (int i = 0; i < threads; i++) arrays[i] = new Block[slots];
        int opsPerGeneration = Math.Max(1, totalOps / threads / generations);
        long start = Stopwatch.GetTimestamp();
        Threads.Run(threads, chain =>
        {
            for (int g = 0; g < generations; g++)
            {
                int seed = chain * 7919 + g;
                Threads.Run(1, _ => Generation(a, arrays[chain], seed, opsPerGeneration));
            }
        });
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        foreach (Block[] array in arrays)
            foreach (Block b in array)
                if (b.P != 0) Pattern.Delete(ref a, b);
        return ms;
    }

    /// <summary>
    /// One thread's generation. Compiled fully optimized at once, for every contender alike: under tiered compilation a
    /// generation, called a few dozen times per run, spent much of its time in on-stack-replacement code (half of the
    /// loop's samples in a profile of larson 2T), and never inlined into the thread's start: inlined there through dynamic
    /// PGO, it ran out of the caller's inlining budget and called unoptimized (tier-0) copies of the allocator's fast path
    /// and of <see cref="Pattern.Fill"/> (5% of a profile's samples). Its slots and sizes come from an inlined generator, as larson's own
    /// (lran2) is: <see cref="Random"/>'s virtual calls are devirtualized only with dynamic PGO, which fully optimized code lacks.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Generation<T>(T allocator, Block[] array, int seed, int ops) where T : struct, IAllocator
    {
        var rng = new FastRandom((ulong)seed);
        for (int op = 0; op < ops; op++)
        {
            ref Block b = ref array[rng.Below(array.Length)];
            if (b.P != 0) Pattern.Delete(ref allocator, b);
            b = Pattern.New(ref allocator, (nuint)(8 + rng.Below(993)));
        }
    }
}

/// <summary>
/// xmalloc-style producer/consumer (after Lever and Boreham's description): <c>threads</c> producers allocate batches
/// of 1,024 blocks of 64 B and write them; <c>threads</c> consumers check and free them. Every free is cross-thread.
/// </summary>
public sealed class Xmalloc(int threads, int totalBlocks, int batch = 1024) : IWorkload
{
    public string Group => "multi-thread";
    public string Name => $"xmalloc {threads}P+{threads}C";
    public double Units => totalBlocks;
    public string UnitName => "M blocks/s";

    public double Run<T>(T a) where T : struct, IAllocator
    {
        int batches = Math.Max(threads, totalBlocks / batch);
        using var queue = new System.Collections.Concurrent.BlockingCollection<Block[]>(64);
        var pool = new System.Collections.Concurrent.ConcurrentBag<Block[]>();
        int produced = 0, producersLeft = threads;
        long start = Stopwatch.GetTimestamp();
        var bodies = new List<Action>();
        for (int i = 0; i < threads; i++)
        {
            bodies.Add(() =>
            {
                T local = a;
                try
                {
                    while (Interlocked.Increment(ref produced) <= batches)
                    {
                        if (!pool.TryTake(out Block[]? blocks)) blocks = new Block[batch];
                        Produce(ref local, blocks);
                        queue.Add(blocks);
                    }
                }
                finally
                {
                    if (Interlocked.Decrement(ref producersLeft) == 0) queue.CompleteAdding();
                }
            });
            bodies.Add(() =>
            {
                T local = a;
                try
                {
                    foreach (Block[] blocks in queue.GetConsumingEnumerable())
                    {
                        Consume(ref local, blocks);
                        pool.Add(blocks);
                    }
                }
                catch
                {
                    queue.CompleteAdding(); // let the producers stop: the error is reported by Threads.RunAll
                    throw;
                }
            });
        }
        Threads.RunAll(bodies);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    // A batch's allocations and frees, compiled fully optimized at once for every contender alike (see Larson.Generation):
    // the thread bodies run once per run, so under tiered compilation their loops stayed on-stack-replacement code.

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Produce<T>(ref T allocator, Block[] blocks) where T : struct, IAllocator
    {
        for (int k = 0; k < blocks.Length; k++) blocks[k] = Pattern.New(ref allocator, 64);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Consume<T>(ref T allocator, Block[] blocks) where T : struct, IAllocator
    {
        for (int k = 0; k < blocks.Length; k++) Pattern.Delete(ref allocator, blocks[k]);
    }
}

/// <summary>
/// cache-scratch (passive false sharing, after the Hoard paper's description): the main thread allocates one 8-byte
/// object per thread and hands it over; each thread frees it, then <c>iterations</c> times allocates 8 bytes and writes
/// them <c>writes / threads</c> times. An allocator that gives threads objects on one cache line slows down N-fold.
/// </summary>
public sealed class CacheScratch(int threads, int iterations, int writes) : IWorkload
{
    public string Group => "multi-thread";
    public string Name => $"cache-scratch {threads}T";
    public double Units => (double)iterations * threads;
    public string UnitName => "K objects/s";

    public unsafe double Run<T>(T a) where T : struct, IAllocator
    {
        var handed = new Block[threads];
        for (int i = 0; i < threads; i++) handed[i] = Pattern.New(ref a, 8);
        int perThread = Math.Max(1, writes / threads);
        long start = Stopwatch.GetTimestamp();
        Threads.Run(threads, t => Scratch(a, handed[t], iterations, perThread));
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>One thread's part, compiled fully optimized at once for every contender alike (see Larson.Generation).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Scratch<T>(T allocator, Block handed, int iterations, int writes) where T : struct, IAllocator
    {
        Pattern.Delete(ref allocator, handed);
        for (int i = 0; i < iterations; i++)
        {
            byte* p = (byte*)allocator.Alloc(8);
            if (p == null) throw new OutOfMemoryException($"{allocator.Name} returned NULL for 8 bytes.");
            for (int w = 0; w < writes; w++) Volatile.Write(ref *p, (byte)w);
            Block b = Pattern.Fill(p, 8);
            Pattern.Delete(ref allocator, b);
        }
    }
}

/// <summary>
/// mstress-style (after the description of mimalloc-bench's mstress): for <c>rounds</c> rounds, <c>threads</c> new threads
/// each take <c>steps</c> random steps: allocate a power-of-two block (8–512 B; 1% ×100, 0.1% ×1000), free a random one
/// of its own, or swap one with a random slot of a shared 1,000-slot transfer array (the block it takes is later freed by
/// another thread). Threads exit at the end of each round, freeing their own blocks; the transferred ones survive into
/// the next round. The live set grows and shrinks; threads are recycled.
/// </summary>
public sealed class Mstress(int threads, int rounds, int steps) : IWorkload
{
    private const int TransferSlots = 1000;
    public string Group => "multi-thread";
    public string Name => $"mstress {threads}T";
    public double Units => (double)rounds * steps * threads;
    public string UnitName => "Mops/s";

    public double Run<T>(T a) where T : struct, IAllocator
    {
        var transfer = new Block[TransferSlots];
        var locks = new object[64];
        for (int i = 0; i < locks.Length; i++) locks[i] = new object();
        long start = Stopwatch.GetTimestamp();
        for (int round = 0; round < rounds; round++)
        {
            int r = round;
            Threads.Run(threads, t => Steps(a, (ulong)(r * 131 + t), steps, transfer, locks));
        }
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        foreach (Block b in transfer)
            if (b.P != 0) Pattern.Delete(ref a, b);
        return ms;
    }

    /// <summary>One thread's round, compiled fully optimized at once for every contender alike (see Larson.Generation).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Steps<T>(T allocator, ulong seed, int steps, Block[] transfer, object[] locks) where T : struct, IAllocator
    {
        var rng = new FastRandom(seed);
        var mine = new List<Block>(1024);
        for (int s = 0; s < steps; s++)
        {
            int dice = rng.Below(100);
            if (dice < 50 || mine.Count == 0)
            {
                nuint size = (nuint)8 << rng.Below(7); // 8..512
                int big = rng.Below(1000);
                if (big == 0) size *= 1000; else if (big < 10) size *= 100;
                mine.Add(Pattern.New(ref allocator, size));
            }
            else if (dice < 83)
            {
                int k = rng.Below(mine.Count);
                Pattern.Delete(ref allocator, mine[k]);
                mine[k] = mine[^1];
                mine.RemoveAt(mine.Count - 1);
            }
            else
            {
                int k = rng.Below(mine.Count), slot = rng.Below(TransferSlots);
                Block given = mine[k], taken;
                lock (locks[slot & 63])
                {
                    taken = transfer[slot];
                    transfer[slot] = given;
                }
                if (taken.P != 0) mine[k] = taken;
                else { mine[k] = mine[^1]; mine.RemoveAt(mine.Count - 1); }
            }
        }
        foreach (Block b in mine) Pattern.Delete(ref allocator, b);
    }
}

/// <summary>
/// Large blocks (after mimalloc-bench's malloc-large, at fixed sizes): <c>count</c> times allocate <c>size</c> bytes and
/// write every 4 KiB page, with 8 blocks alive (each new one replaces the oldest, which is checked and freed). The rate is pages per second; ns per page is the first-touch cost plus the
/// allocator's share.
/// </summary>
public sealed class Large(nuint size, long totalBytes) : IWorkload
{
    public string Group => "large";
    public string Name => $"large {Report.Bytes((long)size)}";
    private int Count => (int)Math.Max(2, totalBytes / (long)size);
    public double Units => (double)Count * ((long)size / 4096);
    public string UnitName => "M pages/s";
    public nuint Size => size;
    /// <summary>Blocks alive at once: each new block replaces the oldest (a ring), as in malloc-large's bounded live set.</summary>
    public const int Live = 8;

    public double Run<T>(T a) where T : struct, IAllocator
    {
        var ring = new Block[Live];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Count; i++)
        {
            ref Block slot = ref ring[i % Live];
            if (slot.P != 0) Pattern.Delete(ref a, slot);
            slot = Pattern.New(ref a, size);
        }
        foreach (Block b in ring)
            if (b.P != 0) Pattern.Delete(ref a, b);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
