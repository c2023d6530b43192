using MemoryKinds.Engine;
using MemoryKinds.Tests.Reliability;

namespace MemoryKinds.Tests.Tiering;

/// <summary>Several threads allocating and freeing through one TieredMemory: the accounting is exact once they stop.</summary>
public unsafe class TieredThreadSafetyTests
{
    [Theory]
    [InlineData(TierPolicy.StaticRatio)]
    [InlineData(TierPolicy.DynamicThreshold)]
    public void AccountingIsExactAfterConcurrentAllocationsAndFrees(TierPolicy policy)
    {
        using MemoryKind dram = TieringTestKinds.Dram("threads", 32 << 20);
        using PmemKind pmem = TieringTestKinds.Pmem();
        using TieredMemory tiers = TieredMemory.Create(policy, (dram, 1), (pmem, 3));
        const int Threads = 4;
        var kept = new List<nint>[Threads];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var random = new Random(t);
            var mine = new List<nint>();
            for (int i = 0; i < 30_000; i++)
            {
                if (mine.Count > 0 && random.Next(3) == 0)
                {
                    int at = random.Next(mine.Count);
                    tiers.Free((void*)mine[at]);
                    mine[at] = mine[^1];
                    mine.RemoveAt(mine.Count - 1);
                }
                else if (random.Next(10) == 0 && mine.Count > 0)
                {
                    int at = random.Next(mine.Count);
                    mine[at] = (nint)tiers.Realloc((void*)mine[at], (nuint)random.Next(1, 8192));
                }
                else
                {
                    mine.Add((nint)tiers.Alloc((nuint)random.Next(1, 4096)));
                }
            }
            kept[t] = mine;
        });

        long inDram = 0, inPmem = 0;
        foreach (List<nint> list in kept)
        {
            foreach (nint p in list)
            {
                MemoryKind owner = MemoryKind.Detect((void*)p)!;
                if (owner == dram) inDram += (long)dram.GetUsableSize((void*)p);
                else inPmem += (long)pmem.GetUsableSize((void*)p);
            }
        }
        Assert.Equal(inDram, tiers.AllocatedBytes(dram));
        Assert.Equal(inPmem, tiers.AllocatedBytes(pmem));
        Assert.True(inDram > 0 && inPmem > 0);

        Parallel.ForEach(kept, list => { foreach (nint p in list) tiers.Free((void*)p); });
        Assert.Equal(0, tiers.AllocatedBytes(dram));
        Assert.Equal(0, tiers.AllocatedBytes(pmem));
    }

    /// <summary>
    /// A thread whose first call into the engine is a tiered free or allocation has no engine table yet (placement looks
    /// it up once for the heap and the counter stripe): the bytes still land in the right counts.
    /// </summary>
    [Theory]
    [InlineData(TierPolicy.StaticRatio)]
    [InlineData(TierPolicy.DynamicThreshold)]
    public void AFreshThreadsFirstFreeAndFirstAllocationAreCounted(TierPolicy policy)
    {
        using MemoryKind dram = TieringTestKinds.Dram("fresh", 32 << 20);
        using PmemKind pmem = TieringTestKinds.Pmem();
        using TieredMemory tiers = TieredMemory.Create(policy, (dram, 1), (pmem, 3));
        var blocks = new List<nint>();
        for (int i = 0; i < 200; i++) blocks.Add((nint)tiers.Alloc((nuint)(16 + 37 * i)));

        bool freerHadNoTable = false, allocatorHadNoTable = false;
        nint allocated = 0;
        var freer = new Thread(() =>
        {
            freerHadNoTable = ThreadHeaps.CurrentTable() == null;
            foreach (nint p in blocks) tiers.Free((void*)p);
        });
        freer.Start();
        freer.Join();
        Assert.True(freerHadNoTable, "the freeing thread already had an engine table: the case under test did not happen");
        Assert.Equal(0, tiers.AllocatedBytes(dram) + tiers.AllocatedBytes(pmem));

        var allocator = new Thread(() =>
        {
            allocatorHadNoTable = ThreadHeaps.CurrentTable() == null;
            allocated = (nint)tiers.Alloc(100);
        });
        allocator.Start();
        allocator.Join();
        Assert.True(allocatorHadNoTable, "the allocating thread already had an engine table: the case under test did not happen");
        MemoryKind owner = MemoryKind.Detect((void*)allocated)!;
        Assert.Equal((long)owner.GetUsableSize((void*)allocated), tiers.AllocatedBytes(owner));
        tiers.Free((void*)allocated);
        Assert.Equal(0, tiers.AllocatedBytes(dram) + tiers.AllocatedBytes(pmem));
    }

    /// <summary>
    /// Fresh threads one after another and four at once, in a process of its own, with the engine's stack lookup on and
    /// switched off (<c>MEMKINDS_THREAD_LOOKUP=tls</c>, where every table lookup takes the thread-static path): every
    /// byte placed is counted, and counted back to zero.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CountsStayExactOverFreshAndConcurrentThreads(bool stackLookupOff)
    {
        var environment = stackLookupOff ? new Dictionary<string, string> { ["MEMKINDS_THREAD_LOOKUP"] = "tls" } : null;
        string output = FaultHost.AssertPassed("tiered-threads", FaultHost.Run("tiered-threads", [TestDirectories.Tmpfs], environment: environment));
        Assert.Contains($"(stack lookup {(stackLookupOff ? "off" : "on")})", output, StringComparison.Ordinal);
    }
}
