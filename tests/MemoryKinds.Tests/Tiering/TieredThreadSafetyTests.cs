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
}
