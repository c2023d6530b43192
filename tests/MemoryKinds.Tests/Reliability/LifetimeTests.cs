namespace MemoryKinds.Tests.Reliability;

/// <summary>
/// Lifetime faults: Dispose while other threads are inside calls (in the fault host, so a crash is a failed test),
/// Dispose twice and from many threads, thousands of kinds created and disposed concurrently, and threads that exit
/// while holding cached pages or blocks.
/// </summary>
public unsafe class LifetimeTests
{
    private const string NoMemoryCopyOps = "alloc,alloc-large,aligned,try-alloc,free,free-or-transfer,free-transferred,detect";

    public static TheoryData<string, MemoryUsagePolicy> FileSystemsAndPolicies => new()
    {
        { "ext4", MemoryUsagePolicy.Default }, { "ext4", MemoryUsagePolicy.Conservative },
        { "tmpfs", MemoryUsagePolicy.Default }, { "tmpfs", MemoryUsagePolicy.Conservative },
    };

    public static TheoryData<MemoryUsagePolicy> Policies => new() { MemoryUsagePolicy.Default, MemoryUsagePolicy.Conservative };

    /// <summary>
    /// Four threads loop in Alloc (small, large, aligned, Try), Free (own and cross-thread) and Detect while the main
    /// thread disposes the kind (12 rounds): each thread must end with ObjectDisposedException, and the process must
    /// live. libvmem and memkind segfault here. (Calls that copy or clear block contents have their own tests below.)
    /// </summary>
    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void DisposeWhileOtherThreadsAllocateAndFree(string fs, MemoryUsagePolicy policy)
        => FaultHost.RunAndAssertPass("dispose-race", TestDirectories.Get(fs), policy.ToString(), "12", NoMemoryCopyOps);

    /// <summary>
    /// The same race with AllocZeroed in flight (small and large, over dirtied memory, so the call itself clears
    /// memory): the in-flight call must finish or throw ObjectDisposedException, never touch unmapped memory.
    /// </summary>
    [Theory]
    [MemberData(nameof(Policies))]
    public void DisposeWhileOtherThreadsAreInsideAllocZeroed(MemoryUsagePolicy policy)
        => FaultHost.RunAndAssertPass("dispose-race", TestDirectories.Tmpfs, policy.ToString(), "10", "zeroed-small,zeroed-large,free");

    /// <summary>The same race with Realloc in flight (the call copies the block's contents).</summary>
    [Theory]
    [MemberData(nameof(Policies))]
    public void DisposeWhileOtherThreadsAreInsideRealloc(MemoryUsagePolicy policy)
        => FaultHost.RunAndAssertPass("dispose-race", TestDirectories.Tmpfs, policy.ToString(), "10", "alloc,realloc,free");

    /// <summary>The same race with GetUsableSize and DefragRealloc in flight (DefragRealloc copies the block it moves).</summary>
    [Theory]
    [MemberData(nameof(Policies))]
    public void DisposeWhileOtherThreadsAreInsideDefragRealloc(MemoryUsagePolicy policy)
        => FaultHost.RunAndAssertPass("dispose-race", TestDirectories.Tmpfs, policy.ToString(), "10", "alloc,alloc-large,aligned,try-alloc,usable-defrag,free-or-transfer,free-transferred,free");

    /// <summary>The same race with GetStats in flight.</summary>
    [Theory]
    [MemberData(nameof(Policies))]
    public void DisposeWhileOtherThreadsAreInsideGetStats(MemoryUsagePolicy policy)
        => FaultHost.RunAndAssertPass("dispose-race", TestDirectories.Tmpfs, policy.ToString(), "10", "alloc,alloc-large,stats,free");

    [Theory]
    [MemberData(nameof(FileSystemsAndPolicies))]
    public void DisposeTwiceAndFromManyThreadsAtOnceIsHarmless(string fs, MemoryUsagePolicy policy)
    {
        string dir = TestDirectories.Get(fs);
        for (int round = 0; round < 20; round++)
        {
            PmemKind kind = PmemKind.Create(new PmemConfig(dir) { UsagePolicy = policy });
            kind.Alloc(100);
            kind.Alloc(1u << 20);
            using var go = new ManualResetEventSlim();
            var errors = new Exception?[8];
            var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
            {
                go.Wait();
                errors[i] = Record.Exception(kind.Dispose);
            })).ToList();
            threads.ForEach(t => t.Start());
            go.Set();
            threads.ForEach(t => t.Join());
            Assert.All(errors, e => Assert.Null(e));
            kind.Dispose();
            kind.Dispose();
            Assert.True(kind.IsDisposed);
        }
        using PmemKind after = PmemKind.Create(dir);
        after.Free(after.Alloc(10));
    }

    /// <summary>
    /// A thread exits holding pages its heap cached (and blocks other threads freed into them). After it has exited
    /// (and, in one variant, after GC.Collect + WaitForPendingFinalizers ran its heap's hand-back), a fresh thread
    /// fills the kind: it must get as many blocks as a fresh kind gives — nothing stranded.
    /// </summary>
    [Theory]
    [InlineData(MemoryUsagePolicy.Default, "freed-by-owner", true)]
    [InlineData(MemoryUsagePolicy.Default, "freed-by-owner", false)]
    [InlineData(MemoryUsagePolicy.Default, "held-then-freed-remotely", true)]
    [InlineData(MemoryUsagePolicy.Default, "freed-remotely-while-alive", false)]
    [InlineData(MemoryUsagePolicy.Default, "freed-remotely-while-alive", true)]
    [InlineData(MemoryUsagePolicy.Conservative, "held-then-freed-remotely", true)]
    public void AThreadThatExitsWithCachedBlocksDoesNotStrandThem(MemoryUsagePolicy policy, string variant, bool collect)
    {
        var config = new PmemConfig(TestDirectories.Tmpfs) { Size = PmemKind.MinSize, UsagePolicy = policy };
        nuint[] sizes = [48, 1000, 24_000];
        // What a fresh kind holds of each size, filled by one thread.
        int[] fresh = sizes.Select(s =>
        {
            using PmemKind empty = PmemKind.Create(config);
            return FillAndFreeOnThread(empty, s);
        }).ToArray();
        using PmemKind kind = PmemKind.Create(config);

        List<nint> held = [];
        var alive = new ManualResetEventSlim();
        var exit = new ManualResetEventSlim();
        var worker = new Thread(() =>
        {
            // Several size classes at once, so the thread's heap caches a partly used page of each.
            foreach (nuint size in sizes)
            {
                for (int i = 0; i < 400; i++) held.Add((nint)kind.Alloc(size));
            }
            if (variant == "freed-by-owner")
            {
                foreach (nint p in held) kind.Free((void*)p);
                held.Clear();
            }
            alive.Set();
            exit.Wait();
        });
        worker.Start();
        alive.Wait();
        if (variant == "freed-remotely-while-alive")
        {
            foreach (nint p in held) kind.Free((void*)p);
            held.Clear();
        }
        exit.Set();
        worker.Join();
        if (variant == "held-then-freed-remotely")
        {
            foreach (nint p in held) kind.Free((void*)p);
            held.Clear();
        }
        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        kind.Validate();
        Assert.Equal(0, kind.GetStats().Allocated);
        for (int i = 0; i < sizes.Length; i++)
        {
            int again = FillAndFreeOnThread(kind, sizes[i]);
            Assert.True(again >= fresh[i], $"After a thread exited ({variant}, GC {(collect ? "collected" : "not collected")}, {policy}), a new thread got {again} blocks of {sizes[i]} bytes; a fresh kind gave {fresh[i]}: the exited thread's cached space is stranded.");
        }
        kind.Validate();
    }

    private static int FillAndFreeOnThread(MemoryKind kind, nuint size)
    {
        int count = 0;
        var thread = new Thread(() =>
        {
            var blocks = new List<nint>();
            for (void* p; (p = kind.TryAlloc(size)) != null;) blocks.Add((nint)p);
            count = blocks.Count;
            foreach (nint p in blocks) kind.Free((void*)p);
        });
        thread.Start();
        thread.Join();
        return count;
    }
}

/// <summary>Thousands of kinds created and destroyed by many threads at once: nothing leaks (descriptors, mappings, registry slots).</summary>
[Collection(ReliabilityResourcesCollection.Name)]
public unsafe class ManyKindsConcurrentlyTests
{
    [Fact]
    public void ThousandsOfKindsCreatedAndDisposedConcurrentlyByManyThreadsLeaveNothing()
    {
        const int Threads = 8, KindsPerThread = 300;
        string[] dirs = [TestDirectories.Tmpfs, TestDirectories.Ext4];
        // Warm up every path once (thread statics, purger, lazily loaded types) before taking the snapshot.
        using (PmemKind warm = PmemKind.Create(dirs[0])) warm.Free(warm.Alloc(100));
        LeakSnapshot before = LeakSnapshot.Take(dirs);
        int live = Engine.KindRegistry.LiveCount;
        var errors = new List<string>();
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                var random = new Random(id);
                var mine = new List<PmemKind>();
                try
                {
                    for (int i = 0; i < KindsPerThread; i++)
                    {
                        var policy = i % 3 == 0 ? MemoryUsagePolicy.Conservative : MemoryUsagePolicy.Default;
                        var kind = PmemKind.Create(new PmemConfig(dirs[i % 2]) { Size = i % 4 == 0 ? 0 : PmemKind.MinSize, UsagePolicy = policy });
                        byte* a = (byte*)kind.Alloc((nuint)random.Next(0, 5000));
                        byte* b = (byte*)kind.Alloc((nuint)random.Next(600_000, 1_500_000));
                        *b = 1;
                        kind.Free(a);
                        // Some die with live blocks, some are kept a while so many kinds are alive at once.
                        mine.Add(kind);
                        if (mine.Count > 16 || random.Next(3) == 0)
                        {
                            int k = random.Next(mine.Count);
                            mine[k].Dispose();
                            mine.RemoveAt(k);
                        }
                    }
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add($"thread {id}: {e}");
                }
                finally
                {
                    foreach (PmemKind kind in mine) kind.Dispose();
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads) thread.Join();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(live, Engine.KindRegistry.LiveCount);
        before.AssertNothingLeft($"{Threads * KindsPerThread} kinds created and disposed by {Threads} threads");
    }
}

/// <summary>The leak check itself: a kind that is still alive is reported (so "nothing left" means something).</summary>
[Collection(ReliabilityResourcesCollection.Name)]
public unsafe class LeakSnapshotTests
{
    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void AKindNotYetDisposedIsReportedAsLeftBehind(string fileSystem)
    {
        string dir = TestDirectories.Get(fileSystem);
        using (PmemKind warm = PmemKind.Create(dir)) warm.Free(warm.Alloc(100));
        LeakSnapshot before = LeakSnapshot.Take(dir);
        PmemKind kind = PmemKind.Create(dir, PmemKind.MinSize);
        try
        {
            kind.Free(kind.Alloc(100));
            var error = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => before.AssertNothingLeft("A live kind"));
            Assert.Contains("descriptors now", error.Message);
            Assert.Contains("memory sources hold", error.Message);
            Assert.Contains("engine metadata in use", error.Message);
        }
        finally
        {
            kind.Dispose();
        }
        before.AssertNothingLeft("The same kind after Dispose");
    }
}
