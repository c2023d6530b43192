using System.Diagnostics;
using System.Numerics;

namespace MemoryKinds.Reliability;

/// <summary>Settings for one <see cref="StressRun"/>.</summary>
public sealed record StressOptions
{
    public int Threads { get; init; } = 4;
    /// <summary>Rounds to run; each round starts fresh threads (the previous ones are retired, some still holding blocks).</summary>
    public int Rounds { get; init; } = 5;
    /// <summary>When set, rounds continue (at least <see cref="Rounds"/>) until this much time has passed.</summary>
    public TimeSpan? Duration { get; init; }
    public int IterationsPerRound { get; init; } = 20_000;
    public int Seed { get; init; } = 42;
    /// <summary>Slots of the shared transfer array through which blocks change threads (cross-thread frees).</summary>
    public int TransferSlots { get; init; } = 1000;
    /// <summary>Most blocks a thread holds locally.</summary>
    public int LocalSlots { get; init; } = 300;
    /// <summary>One allocation in this many is a large block (600 KiB to 4 MiB); 0 for none.</summary>
    public int LargeOneIn { get; init; } = 400;
    /// <summary>Progress lines (null: quiet).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>What a <see cref="StressRun"/> saw.</summary>
public sealed record StressResult(long Operations, int Rounds, int RetiredHolding, long CrossThreadFrees, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;

    public override string ToString()
        => $"{Rounds} rounds, {Operations} operations, {CrossThreadFrees} cross-thread frees, {RetiredHolding} blocks outlived their thread; "
           + (Passed ? "no failure" : $"{Failures.Count} failures:\n  " + string.Join("\n  ", Failures.Take(30)));
}

/// <summary>
/// A randomized multi-threaded stress test in the style of mimalloc's test/test-stress.c: every block is filled with
/// words derived from its length, a run cookie and a per-allocation tag, and checked when it is freed; blocks move
/// between threads through a shared transfer array (so most frees are cross-thread); at the end of each round the
/// threads are retired and new ones started, and some retiring threads leave their blocks for the next round; after
/// each round, with no thread running, every surviving block is checked and <see cref="MemoryKind.Validate"/> walks the heap.
/// A set of live addresses catches a block handed out twice. Deterministic seeds (thread scheduling is not).
/// </summary>
public static unsafe class StressRun
{
    // Block layout (blocks of at least 16 bytes): word 0 = words ^ cookie, word 1 = tag ^ cookie, word i = (words - i) ^ cookie ^ tag * K.
    private const ulong TagMultiplier = 0x9E3779B97F4A7C15;

    private sealed class Shared(MemoryKind kind, StressOptions options, ulong cookie)
    {
        public readonly MemoryKind Kind = kind;
        public readonly StressOptions Options = options;
        public readonly ulong Cookie = cookie;
        public readonly nint[] Transfer = new nint[options.TransferSlots];
        public readonly LiveSet Live = new();
        public readonly List<nint> Orphans = [];
        public readonly List<string> Failures = [];
        public long Operations, CrossThreadFrees, NextTag;
        public int RetiredHolding;

        public void Fail(string message)
        {
            lock (Failures)
            {
                if (Failures.Count < 200) Failures.Add(message);
            }
        }
    }

    public static StressResult Run(MemoryKind kind, StressOptions options)
    {
        var shared = new Shared(kind, options, 0xC0FFEE_0000_0000UL ^ (ulong)(uint)options.Seed * 0x1000193UL);
        var clock = Stopwatch.StartNew();
        int round = 0;
        for (; round < options.Rounds || (options.Duration is { } d && clock.Elapsed < d); round++)
        {
            var threads = new Thread[options.Threads];
            for (int t = 0; t < threads.Length; t++)
            {
                int seed = unchecked(options.Seed * 7919 + round * 131 + t);
                threads[t] = new Thread(() => Worker(shared, seed)) { IsBackground = true, Name = $"stress r{round} t{t}" };
                threads[t].Start();
            }
            foreach (Thread thread in threads) thread.Join();
            // No thread runs now: every surviving block must still hold its pattern, and the heap must be consistent.
            foreach (nint p in shared.Transfer) if (p != 0) Check(shared, p, "transfer slot after round " + round);
            foreach (nint p in shared.Orphans) Check(shared, p, "orphaned block after round " + round);
            try
            {
                kind.Validate();
            }
            catch (InvalidOperationException e)
            {
                shared.Fail($"Validate after round {round}: {e.Message}");
            }
            options.Log?.Invoke($"round {round}: {Interlocked.Read(ref shared.Operations)} operations so far, {shared.Orphans.Count} orphaned blocks, {shared.Failures.Count} failures");
            if (shared.Failures.Count > 0) break;
            // Blocks orphaned two rounds ago are freed by this (main) thread: their allocating threads are long gone.
            if (round % 2 == 1)
            {
                foreach (nint p in shared.Orphans) CheckAndFree(shared, p, "orphan freed by the main thread");
                shared.Orphans.Clear();
            }
        }
        round++;
        // Tear down: free everything still held, then the heap must be empty and consistent.
        for (int i = 0; i < shared.Transfer.Length; i++)
        {
            if (shared.Transfer[i] != 0) CheckAndFree(shared, shared.Transfer[i], "transfer slot at the end");
            shared.Transfer[i] = 0;
        }
        foreach (nint p in shared.Orphans) CheckAndFree(shared, p, "orphan at the end");
        shared.Orphans.Clear();
        try
        {
            kind.Validate();
            long allocated = kind.GetStats().Allocated;
            if (allocated != 0) shared.Fail($"After freeing every block the kind still reports {allocated} bytes allocated.");
        }
        catch (InvalidOperationException e)
        {
            shared.Fail($"Validate at the end: {e.Message}");
        }
        return new StressResult(shared.Operations, round, shared.RetiredHolding, shared.CrossThreadFrees, shared.Failures);
    }

    private static void Worker(Shared shared, int seed)
    {
        var random = new Random(seed);
        var local = new List<(nint P, ulong Tag)>(shared.Options.LocalSlots);
        var tiny = new List<(nint P, int Size)>();
        MemoryKind kind = shared.Kind;
        long operations = 0;
        try
        {
            for (int i = 0; i < shared.Options.IterationsPerRound && shared.Failures.Count == 0; i++, operations++)
            {
                int r = random.Next(100);
                if (r < 45)
                {
                    // Allocate (several flavours), fill, keep.
                    if (local.Count >= shared.Options.LocalSlots) FreeLocal(shared, local, random.Next(local.Count));
                    nint p = AllocatePatterned(shared, random, out ulong tag);
                    if (p != 0) local.Add((p, tag));
                }
                else if (r < 50)
                {
                    // 0..15-byte blocks stay with their thread: too small for the self-describing pattern.
                    int size = random.Next(16);
                    nint p = (nint)kind.Alloc((nuint)size);
                    if (!shared.Live.TryAdd(p)) shared.Fail($"Alloc({size}) returned 0x{p:x}, which is still live: a block handed out twice.");
                    new Span<byte>((void*)p, size).Fill((byte)(size ^ (int)shared.Cookie));
                    tiny.Add((p, size));
                    if (tiny.Count > 64 || random.Next(4) == 0)
                    {
                        int k = random.Next(tiny.Count);
                        (nint q, int qsize) = tiny[k];
                        tiny[k] = tiny[^1];
                        tiny.RemoveAt(tiny.Count - 1);
                        if (new ReadOnlySpan<byte>((void*)q, qsize).IndexOfAnyExcept((byte)(qsize ^ (int)shared.Cookie)) >= 0)
                            shared.Fail($"A {qsize}-byte block at 0x{q:x} was overwritten.");
                        shared.Live.Remove(q);
                        kind.Free((void*)q);
                    }
                }
                else if (r < 70)
                {
                    if (local.Count > 0) FreeLocal(shared, local, random.Next(local.Count));
                }
                else if (r < 75)
                {
                    if (local.Count > 0) ReallocLocal(shared, random, local, random.Next(local.Count));
                }
                else
                {
                    // Swap a local block into a random transfer slot; whatever was there is checked and freed here.
                    if (local.Count == 0) continue;
                    int k = random.Next(local.Count);
                    nint mine = local[k].P;
                    local[k] = local[^1];
                    local.RemoveAt(local.Count - 1);
                    nint theirs = Interlocked.Exchange(ref shared.Transfer[random.Next(shared.Transfer.Length)], mine);
                    if (theirs != 0)
                    {
                        CheckAndFree(shared, theirs, "taken from the transfer array");
                        Interlocked.Increment(ref shared.CrossThreadFrees);
                    }
                }
            }
            // Retire: a third of the threads leave their blocks for later rounds (they outlive this thread).
            if (random.Next(3) == 0)
            {
                lock (shared.Orphans) shared.Orphans.AddRange(local.Select(b => b.P));
                Interlocked.Add(ref shared.RetiredHolding, local.Count);
            }
            else
            {
                while (local.Count > 0) FreeLocal(shared, local, local.Count - 1);
            }
            foreach ((nint q, int qsize) in tiny)
            {
                shared.Live.Remove(q);
                kind.Free((void*)q);
            }
        }
        catch (Exception e)
        {
            shared.Fail($"Thread (seed {seed}) threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
        Interlocked.Add(ref shared.Operations, operations);
    }

    private static nuint PickSize(Random random, int largeOneIn)
    {
        if (largeOneIn > 0 && random.Next(largeOneIn) == 0) return (nuint)random.Next(600 << 10, 4 << 20);
        int r = random.Next(100);
        if (r < 70) return (nuint)random.Next(16, 256);
        if (r < 92) return (nuint)random.Next(256, 8192);
        return (nuint)random.Next(8192, 520 << 10);
    }

    private static nint AllocatePatterned(Shared shared, Random random, out ulong tag)
    {
        MemoryKind kind = shared.Kind;
        nuint size = PickSize(random, shared.Options.LargeOneIn);
        void* p;
        int flavour = random.Next(10);
        if (flavour < 6) p = kind.Alloc(size);
        else if (flavour < 8)
        {
            p = kind.AllocZeroed(1, size);
            if (new ReadOnlySpan<byte>(p, (int)size).IndexOfAnyExcept((byte)0) is int bad and >= 0)
                shared.Fail($"AllocZeroed(1, {size}) at 0x{(nint)p:x} has a non-zero byte at {bad}.");
        }
        else
        {
            nuint alignment = (nuint)1 << random.Next(4, 17);
            p = kind.AlignedAlloc(size, alignment);
            if (((nuint)p & (alignment - 1)) != 0) shared.Fail($"AlignedAlloc({size}, {alignment}) returned 0x{(nint)p:x}, not aligned.");
        }
        if (!shared.Live.TryAdd((nint)p)) shared.Fail($"Allocation of {size} bytes returned 0x{(nint)p:x}, which is still live: a block handed out twice.");
        nuint usable = kind.GetUsableSize(p);
        if (usable < size) shared.Fail($"GetUsableSize is {usable} for a {size}-byte request.");
        tag = (ulong)Interlocked.Increment(ref shared.NextTag);
        Fill(shared, (nint)p, size, tag);
        return (nint)p;
    }

    private static void Fill(Shared shared, nint p, nuint size, ulong tag)
    {
        var words = new Span<ulong>((void*)p, (int)(size / 8));
        ulong n = (ulong)words.Length;
        words[0] = n ^ shared.Cookie;
        words[1] = tag ^ shared.Cookie;
        ulong mix = shared.Cookie ^ (tag * TagMultiplier);
        for (int i = 2; i < words.Length; i++) words[i] = (n - (ulong)i) ^ mix;
    }

    /// <summary>Checks a block's pattern; returns its tag (0 when broken).</summary>
    private static ulong Check(Shared shared, nint p, string where, ulong expectedTag = 0)
    {
        var head = new ReadOnlySpan<ulong>((void*)p, 2);
        ulong n = head[0] ^ shared.Cookie, tag = head[1] ^ shared.Cookie;
        if (n < 2 || n > (8u << 20) / 8)
        {
            shared.Fail($"Block 0x{p:x} ({where}): length word decodes to {n}: the block was overwritten.");
            return 0;
        }
        if (expectedTag != 0 && tag != expectedTag)
        {
            shared.Fail($"Block 0x{p:x} ({where}): tag {tag}, expected {expectedTag}: another allocation wrote into it.");
            return 0;
        }
        var words = new ReadOnlySpan<ulong>((void*)p, (int)n);
        ulong mix = shared.Cookie ^ (tag * TagMultiplier);
        for (int i = 2; i < words.Length; i++)
        {
            if (words[i] != ((n - (ulong)i) ^ mix))
            {
                shared.Fail($"Block 0x{p:x} ({where}, {n * 8} bytes): word {i} is 0x{words[i]:x}, expected 0x{(n - (ulong)i) ^ mix:x}.");
                return 0;
            }
        }
        return tag;
    }

    private static void CheckAndFree(Shared shared, nint p, string where, ulong expectedTag = 0)
    {
        Check(shared, p, where, expectedTag);
        if (!shared.Live.Remove(p)) shared.Fail($"Block 0x{p:x} ({where}) was not in the live set when freed.");
        shared.Kind.Free((void*)p);
    }

    private static void FreeLocal(Shared shared, List<(nint P, ulong Tag)> local, int k)
    {
        (nint p, ulong tag) = local[k];
        local[k] = local[^1];
        local.RemoveAt(local.Count - 1);
        CheckAndFree(shared, p, "freed by its thread", tag);
    }

    private static void ReallocLocal(Shared shared, Random random, List<(nint P, ulong Tag)> local, int k)
    {
        (nint p, ulong tag) = local[k];
        if (Check(shared, p, "before realloc", tag) == 0) return;
        nuint oldSize = (nuint)(((ulong*)p)[0] ^ shared.Cookie) * 8;
        nuint newSize = PickSize(random, shared.Options.LargeOneIn);
        shared.Live.Remove(p);
        nint q = (nint)shared.Kind.Realloc((void*)p, newSize);
        if (q != p && !shared.Live.TryAdd(q)) shared.Fail($"Realloc returned 0x{q:x}, which is still live: a block handed out twice.");
        if (q == p) shared.Live.TryAdd(q);
        // The common prefix survives the move; then the block is refilled for its new length.
        nuint keep = Math.Min(oldSize, newSize) / 8;
        var words = new ReadOnlySpan<ulong>((void*)q, (int)keep);
        ulong n = (ulong)(oldSize / 8), mix = shared.Cookie ^ (tag * TagMultiplier);
        for (int i = 2; i < words.Length; i++)
        {
            if (words[i] != ((n - (ulong)i) ^ mix))
            {
                shared.Fail($"Realloc({oldSize} -> {newSize}) from 0x{p:x} to 0x{q:x} lost word {i}.");
                break;
            }
        }
        ulong newTag = (ulong)Interlocked.Increment(ref shared.NextTag);
        Fill(shared, q, newSize, newTag);
        local[k] = (q, newTag);
    }

    /// <summary>A striped set of live block addresses (catches one address handed to two holders).</summary>
    private sealed class LiveSet
    {
        private readonly HashSet<nint>[] _stripes = Enumerable.Range(0, 256).Select(_ => new HashSet<nint>()).ToArray();

        private HashSet<nint> StripeOf(nint p) => _stripes[(int)(BitOperations.Crc32C(0, (ulong)p) & 255)];

        public bool TryAdd(nint p)
        {
            HashSet<nint> stripe = StripeOf(p);
            lock (stripe) return stripe.Add(p);
        }

        public bool Remove(nint p)
        {
            HashSet<nint> stripe = StripeOf(p);
            lock (stripe) return stripe.Remove(p);
        }
    }

    /// <summary>Runs <paramref name="options"/> on a fresh <see cref="PmemKind"/> in <paramref name="directory"/>.</summary>
    public static StressResult RunOnPmem(string directory, MemoryUsagePolicy policy, StressOptions options)
    {
        using PmemKind kind = PmemKind.Create(new PmemConfig(directory) { UsagePolicy = policy });
        return Run(kind, options);
    }
}
