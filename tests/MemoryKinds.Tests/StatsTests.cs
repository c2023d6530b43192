using System.Collections.Concurrent;
using MemoryKinds.Reliability;

namespace MemoryKinds.Tests;

/// <summary>GetStats: Allocated ≤ Active ≤ Resident, and Allocated is exactly the usable bytes of the live blocks.</summary>
public unsafe class StatsTests
{
    private static void AssertOrdered(KindStats stats, string when)
    {
        Assert.True(stats.Allocated >= 0, $"{when}: Allocated is negative: {stats}.");
        Assert.True(stats.Allocated <= stats.Active, $"{when}: Allocated > Active: {stats}.");
        Assert.True(stats.Active <= stats.Resident, $"{when}: Active > Resident: {stats}.");
    }

    private static nuint RandomSize(Random random) => random.Next(10) switch
    {
        < 6 => (nuint)random.Next(0, 1024),
        < 9 => (nuint)random.Next(1024, 128 << 10),
        _ => (nuint)random.Next(128 << 10, 3 << 20),
    };

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void AllocatedIsExactlyTheUsableBytesOfLiveBlocks(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 0, policy);
        var random = new Random(42);
        var live = new List<nuint>();
        long expected = 0;
        AssertOrdered(kind.GetStats(), "fresh kind");
        Assert.Equal(0, kind.GetStats().Allocated);
        for (int op = 0; op < 3000; op++)
        {
            int action = random.Next(10);
            string what;
            if ((action < 5 && live.Count <= 400) || live.Count < 20)
            {
                nuint size = RandomSize(random);
                void* p = action == 0 ? kind.AllocZeroed(1, size) : action == 1 ? kind.AlignedAlloc(size, (nuint)1 << random.Next(0, 14)) : kind.Alloc(size);
                live.Add((nuint)p);
                expected += (long)kind.GetUsableSize(p);
                what = $"op {op}: alloc {size}";
            }
            else if (action < 9 || live.Count > 400)
            {
                int index = random.Next(live.Count);
                nuint p = live[index];
                expected -= (long)kind.GetUsableSize((void*)p);
                kind.Free((void*)p);
                live[index] = live[^1];
                live.RemoveAt(live.Count - 1);
                what = $"op {op}: free";
            }
            else
            {
                int index = random.Next(live.Count);
                nuint p = live[index], size = RandomSize(random);
                expected -= (long)kind.GetUsableSize((void*)p);
                void* q = kind.Realloc((void*)p, size);
                live[index] = (nuint)q;
                expected += (long)kind.GetUsableSize(q);
                what = $"op {op}: realloc to {size}";
            }
            KindStats stats = kind.GetStats();
            AssertOrdered(stats, what);
            Assert.True(stats.Allocated == expected, $"{what}: Allocated is {stats.Allocated}, the live blocks' usable sizes sum to {expected} ({live.Count} blocks).");
        }
        foreach (nuint p in live) kind.Free((void*)p);
        KindStats end = kind.GetStats();
        AssertOrdered(end, "all freed");
        Assert.Equal(0, end.Allocated);
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void DefragReallocKeepsStatsExact(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 64L << 20, policy);
        var live = new List<nuint>();
        for (int i = 0; i < 4000; i++)
        {
            byte* p = (byte*)kind.Alloc(48);
            p[0] = (byte)i;
            live.Add((nuint)p);
        }
        // Leave pages sparsely used, then defragment.
        var kept = new List<(nuint P, byte Tag)>();
        for (int i = 0; i < live.Count; i++)
        {
            if (i % 8 == 0) kept.Add((live[i], (byte)i));
            else kind.Free((void*)live[i]);
        }
        int moved = 0;
        for (int i = 0; i < kept.Count; i++)
        {
            void* q = kind.DefragRealloc((void*)kept[i].P);
            if (q == null) continue;
            moved++;
            Assert.Equal(kept[i].Tag, *(byte*)q);
            kept[i] = ((nuint)q, kept[i].Tag);
        }
        long expected = kept.Sum(k => (long)kind.GetUsableSize((void*)k.P));
        KindStats stats = kind.GetStats();
        AssertOrdered(stats, $"after {moved} defrag moves");
        Assert.Equal(expected, stats.Allocated);
        foreach ((nuint p, byte tag) in kept)
        {
            Assert.Equal(tag, *(byte*)p);
            kind.Free((void*)p);
        }
        Assert.Equal(0, kind.GetStats().Allocated);
    }

    /// <summary>Four threads allocate and free each other's blocks; once all are joined, Allocated is exact. A monitor checks the order meanwhile.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void AllocatedIsExactAfterCrossThreadFrees(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 0, policy);
        const int Threads = 4;
        var queues = Enumerable.Range(0, Threads).Select(_ => new ConcurrentQueue<nuint>()).ToArray();
        var kept = new ConcurrentBag<nuint>();
        var errors = new ConcurrentQueue<Exception>();
        int running = Threads;
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                try
                {
                    var random = new Random(id);
                    for (int op = 0; op < 20_000; op++)
                    {
                        nuint size = random.Next(50) == 0 ? (nuint)random.Next(1 << 16, 1 << 20) : (nuint)random.Next(0, 2048);
                        void* p = kind.Alloc(size);
                        int r = random.Next(20);
                        if (r < 12) queues[(id + 1 + random.Next(Threads - 1)) % Threads].Enqueue((nuint)p); // someone else frees it
                        else if (r < 19) kind.Free(p);
                        else kept.Add((nuint)p);
                        if (queues[id].TryDequeue(out nuint theirs)) kind.Free((void*)theirs);
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            });
        }
        foreach (Thread w in workers) w.Start();
        int checks = 0;
        while (Volatile.Read(ref running) > 0)
        {
            AssertOrdered(kind.GetStats(), $"while {Volatile.Read(ref running)} threads run");
            checks++;
            Thread.Yield();
        }
        foreach (Thread w in workers) w.Join();
        Assert.Empty(errors);
        Assert.True(checks > 0);

        // Everything still queued is live too.
        var live = kept.ToList();
        foreach (ConcurrentQueue<nuint> q in queues) live.AddRange(q);
        long expected = live.Sum(p => (long)kind.GetUsableSize((void*)p));
        KindStats stats = kind.GetStats();
        AssertOrdered(stats, "all threads joined");
        Assert.True(stats.Allocated == expected, $"All threads joined: Allocated is {stats.Allocated}, the {live.Count} live blocks' usable sizes sum to {expected} ({policy}).");

        // Free half from this thread, half from a new one; then nothing is allocated.
        ThreadRunner.Run(() => { for (int i = 0; i < live.Count; i += 2) kind.Free((void*)live[i]); });
        for (int i = 1; i < live.Count; i += 2) kind.Free((void*)live[i]);
        KindStats end = kind.GetStats();
        AssertOrdered(end, "all freed");
        Assert.Equal(0, end.Allocated);
    }

    /// <summary>Blocks of a thread that has exited still count, and can be freed by another thread.</summary>
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void BlocksOfExitedThreadsStillCount(string fileSystem)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 64L << 20);
        var blocks = new List<nuint>();
        for (int t = 0; t < 8; t++)
            ThreadRunner.Run(() => { for (int i = 0; i < 500; i++) blocks.Add((nuint)kind.Alloc((nuint)(16 + i * 8))); });
        // Let the exited threads' finalizers hand their heaps to the kind.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long expected = blocks.Sum(p => (long)kind.GetUsableSize((void*)p));
        KindStats stats = kind.GetStats();
        AssertOrdered(stats, "threads exited");
        Assert.Equal(expected, stats.Allocated);
        foreach (nuint p in blocks) kind.Free((void*)p);
        Assert.Equal(0, kind.GetStats().Allocated);
        // And the space is usable again by a new thread.
        ThreadRunner.Run(() =>
        {
            int count = 0;
            var again = new List<nuint>();
            for (void* p; (p = kind.TryAlloc(4096)) != null;) { again.Add((nuint)p); count++; }
            Assert.True(count * 4096L >= 60L << 20, $"After all threads' blocks were freed a new thread got only {count} blocks of 4 KiB from a 64 MiB kind.");
            foreach (nuint p in again) kind.Free((void*)p);
        });
    }
}
