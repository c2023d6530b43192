using System.Collections.Concurrent;
using System.Diagnostics;
using MemoryKinds.Reliability;

namespace MemoryKinds.Tests;

/// <summary>Concurrent use of one kind, Dispose racing with other threads, and calls after Dispose.</summary>
public unsafe class ThreadSafetyTests
{
    private readonly record struct Tagged(nuint P, nuint Size, byte Tag);

    private static byte TagOf(nuint p, nuint size) => (byte)(((ulong)p >> 4) * 31 + (ulong)size * 7 + 1);

    private static void Verify(MemoryKind kind, Tagged block, string who)
    {
        int bad = BlockChecks.FirstNot((void*)block.P, block.Size, block.Tag);
        if (bad >= 0)
            Assert.Fail($"{who}: the {block.Size}-byte block at 0x{block.P:x} has 0x{((byte*)block.P)[bad]:x2} at byte {bad}, expected 0x{block.Tag:x2}: another allocation overlapped it.");
        nuint usable = kind.GetUsableSize((void*)block.P);
        Assert.True(usable >= block.Size, $"{who}: usable size {usable} < {block.Size}.");
    }

    /// <summary>
    /// Four threads allocate and free random sizes (16 B..64 KiB) for about a second; every block is filled with a tag and
    /// verified before it is freed; a third of the blocks are freed by another thread through a shared queue.
    /// </summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void FourThreadsAllocateVerifyAndFreeAcrossThreads(string fileSystem, MemoryUsagePolicy policy)
    {
        using PmemKind kind = BlockChecks.Create(fileSystem, 256L << 20, policy);
        const int Threads = 4;
        var shared = new ConcurrentQueue<Tagged>();
        var errors = new ConcurrentQueue<Exception>();
        var operations = new long[Threads];
        using var start = new ManualResetEventSlim();
        var deadline = TimeSpan.FromSeconds(1);
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                var random = new Random(id * 7919 + 1);
                var mine = new List<Tagged>();
                try
                {
                    start.Wait();
                    var clock = Stopwatch.StartNew();
                    while (clock.Elapsed < deadline)
                    {
                        for (int burst = 0; burst < 64; burst++)
                        {
                            int r = random.Next(10);
                            if (r < 5 || (mine.Count == 0 && shared.IsEmpty))
                            {
                                nuint size = (nuint)(random.Next(4) == 0 ? random.Next(16, 64 << 10) : random.Next(16, 1024));
                                void* p = kind.Alloc(size);
                                var block = new Tagged((nuint)p, size, TagOf((nuint)p, size));
                                BlockChecks.Fill(p, size, block.Tag);
                                if (random.Next(3) == 0) shared.Enqueue(block);
                                else mine.Add(block);
                                if (mine.Count <= 300) continue;
                                r = 5; // keep the live set bounded: free one of ours
                            }
                            if (r < 8 && mine.Count > 0)
                            {
                                int index = random.Next(mine.Count);
                                Tagged block = mine[index];
                                mine[index] = mine[^1];
                                mine.RemoveAt(mine.Count - 1);
                                Verify(kind, block, $"thread {id} (own block)");
                                kind.Free((void*)block.P);
                            }
                            else if (shared.TryDequeue(out Tagged theirs))
                            {
                                Verify(kind, theirs, $"thread {id} (shared block)");
                                kind.Free((void*)theirs.P);
                            }
                            operations[id]++;
                        }
                    }
                    foreach (Tagged block in mine)
                    {
                        Verify(kind, block, $"thread {id} (final)");
                        kind.Free((void*)block.P);
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            });
            workers[t].Start();
        }
        start.Set();
        foreach (Thread w in workers) w.Join();
        Assert.True(errors.IsEmpty, string.Join("\n---\n", errors));
        while (shared.TryDequeue(out Tagged block))
        {
            Verify(kind, block, "test thread (leftover shared block)");
            kind.Free((void*)block.P);
        }
        Assert.All(operations, n => Assert.True(n > 0, "A worker thread did no operation."));
        KindStats stats = kind.GetStats();
        Assert.Equal(0, stats.Allocated);
        Assert.True(stats.Active <= stats.Resident);
    }

    /// <summary>Dispose while two threads loop in Alloc/Free: they end with ObjectDisposedException, nothing else, no crash.</summary>
    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void DisposeWhileOtherThreadsAllocateAndFree(string fileSystem, MemoryUsagePolicy policy)
    {
        for (int round = 0; round < 5; round++)
        {
            PmemKind kind = BlockChecks.Create(fileSystem, 256L << 20, policy);
            var outcomes = new Exception?[2];
            var iterations = new long[2];
            using var bothRunning = new CountdownEvent(2);
            var threads = new Thread[2];
            for (int t = 0; t < 2; t++)
            {
                int id = t;
                threads[t] = new Thread(() =>
                {
                    var random = new Random(id + round * 10);
                    var held = new Queue<nuint>();
                    try
                    {
                        while (true)
                        {
                            // Never touch the memory: after Dispose it is gone. Only Alloc/Free/TryAlloc/AllocZeroed-free calls.
                            nuint size = (nuint)(random.Next(10) == 0 ? random.Next(600_000, 2_000_000) : random.Next(0, 5000));
                            void* p = random.Next(2) == 0 ? kind.Alloc(size) : kind.TryAlloc(size);
                            if (p != null) held.Enqueue((nuint)p);
                            if (held.Count > 50 || random.Next(3) == 0)
                            {
                                if (held.TryDequeue(out nuint q)) kind.Free((void*)q);
                            }
                            if (++iterations[id] == 200) bothRunning.Signal();
                        }
                    }
                    catch (Exception e)
                    {
                        outcomes[id] = e;
                        if (iterations[id] < 200) bothRunning.Signal();
                    }
                });
                threads[t].Start();
            }
            bothRunning.Wait();
            kind.Dispose();
            foreach (Thread t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(30)), "A thread looping on a disposed kind never stopped.");
            for (int t = 0; t < 2; t++)
            {
                Exception? e = outcomes[t];
                Assert.True(e is ObjectDisposedException, $"Round {round}, thread {t} ended with {e?.GetType().Name ?? "nothing"} after {iterations[t]} iterations, not ObjectDisposedException:\n{e}");
            }
            Assert.True(kind.IsDisposed);
        }
    }

    [Theory]
    [MemberData(nameof(TestDirectories.Both), MemberType = typeof(TestDirectories))]
    public void DisposeTwiceIsHarmless(string fileSystem)
    {
        PmemKind kind = BlockChecks.Create(fileSystem);
        kind.Alloc(100);
        kind.Dispose();
        kind.Dispose();
        Assert.True(kind.IsDisposed);
        // Also concurrently from several threads.
        PmemKind other = BlockChecks.Create(fileSystem);
        other.Alloc(100);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(other.Dispose)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.True(other.IsDisposed);
        // A kind can be created in the same directory afterwards.
        using PmemKind third = BlockChecks.Create(fileSystem);
        third.Free(third.Alloc(10));
    }

    [Theory]
    [MemberData(nameof(BlockChecks.FileSystemsAndPolicies), MemberType = typeof(BlockChecks))]
    public void CallsAfterDisposeThrowObjectDisposedException(string fileSystem, MemoryUsagePolicy policy)
    {
        PmemKind kind = BlockChecks.Create(fileSystem, policy: policy);
        void* small = kind.Alloc(100);
        void* large = kind.Alloc(1u << 20);
        // A block allocated by another thread, so that thread's heap is in play too.
        nuint remote = 0;
        ThreadRunner.Run(() => remote = (nuint)kind.Alloc(64));
        string name = kind.Name;
        kind.Dispose();

        foreach (nuint size in new nuint[] { 0, 16, 100, 100_000, 1u << 20, 1u << 30, nuint.MaxValue })
        {
            string what = $"after Dispose, size {size}";
            AssertDisposed(() => kind.Alloc(size), $"Alloc {what}");
            AssertDisposed(() => kind.TryAlloc(size), $"TryAlloc {what}");
            AssertDisposed(() => kind.AllocZeroed(1, size), $"AllocZeroed {what}");
            AssertDisposed(() => kind.TryAllocZeroed(1, size), $"TryAllocZeroed {what}");
            AssertDisposed(() => kind.AlignedAlloc(size, 64), $"AlignedAlloc {what}");
            AssertDisposed(() => kind.TryAlignedAlloc(size, 1u << 20), $"TryAlignedAlloc {what}");
            AssertDisposed(() => kind.Realloc(null, size), $"Realloc(null) {what}");
            AssertDisposed(() => kind.TryRealloc(null, size), $"TryRealloc(null) {what}");
        }
        // Counts whose product overflows: still a call on a disposed kind.
        AssertDisposed(() => kind.AllocZeroed(nuint.MaxValue, 2), "AllocZeroed(nuint.MaxValue, 2) after Dispose");
        AssertDisposed(() => kind.TryAllocZeroed(nuint.MaxValue, 2), "TryAllocZeroed(nuint.MaxValue, 2) after Dispose");
        foreach (nuint p in new[] { (nuint)small, (nuint)large, remote })
        {
            AssertDisposed(() => kind.Free((void*)p), "Free of an old block after Dispose");
            AssertDisposed(() => kind.GetUsableSize((void*)p), "GetUsableSize after Dispose");
            AssertDisposed(() => kind.Realloc((void*)p, 200), "Realloc after Dispose");
            AssertDisposed(() => kind.DefragRealloc((void*)p), "DefragRealloc after Dispose");
        }
        ThreadRunner.Run(() =>
        {
            AssertDisposed(() => kind.Alloc(64), "Alloc from another thread after Dispose");
            AssertDisposed(() => kind.Free((void*)remote), "Free from the allocating thread after Dispose");
        });
        AssertDisposed(() => kind.GetStats(), "GetStats after Dispose");
        Assert.True(kind.IsDisposed);
        Assert.Equal(name, kind.Name);
        Assert.Contains("disposed", kind.ToString());
    }

    private static void AssertDisposed(Action call, string what)
    {
        Exception? e = Record.Exception(call);
        Assert.True(e is ObjectDisposedException, $"{what}: expected ObjectDisposedException, got {(e is null ? "no exception" : e.GetType().Name + ": " + e.Message)}.");
    }

    [Fact]
    public void DefaultKindDisposeDoesNothing()
    {
        MemoryKind dram = MemoryKind.Default;
        byte* before = (byte*)dram.Alloc(1000);
        BlockChecks.Fill(before, 1000, 0x42);
        dram.Dispose();
        dram.Dispose();
        Assert.False(dram.IsDisposed);
        Assert.Same(dram, MemoryKind.Default);
        Assert.True(BlockChecks.AllAre(before, 1000, 0x42), "MemoryKind.Default.Dispose() changed a live block.");
        Assert.Same(dram, MemoryKind.Detect(before));
        byte* after = (byte*)dram.Alloc(5000);
        BlockChecks.Fill(after, 5000, 1);
        Assert.True(dram.GetUsableSize(after) >= 5000);
        dram.Free(before);
        dram.Free(after);
        KindStats stats = dram.GetStats();
        Assert.True(stats.Allocated <= stats.Active && stats.Active <= stats.Resident);
        ((IDisposable)dram).Dispose();
        void* p = dram.AllocZeroed(10, 10);
        Assert.True(BlockChecks.AllAre(p, 100, 0));
        dram.Free(p);
    }
}
