namespace MemoryKinds.Tests.Tiering;

/// <summary>TieredMemory.AllocIn: the caller picks the tier, the counts follow; a full tier falls back like Alloc.</summary>
public unsafe class AllocInTests
{
    [Theory]
    [InlineData(TierPolicy.StaticRatio)]
    [InlineData(TierPolicy.DynamicThreshold)]
    public void BlocksGoToTheTierAskedForWhateverThePolicyWouldPickAndAreCountedThere(TierPolicy policy)
    {
        using MemoryKind dram = TieringTestKinds.Dram("allocin");
        using PmemKind pmem = TieringTestKinds.Pmem();
        // 1:4 by bytes, or small blocks to DRAM: the policy would send most of these 100 KiB blocks to pmem.
        using TieredMemory tiers = TieredMemory.Create(policy, (dram, 1), (pmem, 4));
        var blocks = new List<nint>();
        long expected = 0;
        for (int i = 0; i < 200; i++)
        {
            void* p = tiers.AllocIn(dram, 100_000);
            Assert.Same(dram, MemoryKind.Detect(p));
            expected += (long)tiers.GetUsableSize(p);
            blocks.Add((nint)p);
        }
        Assert.Equal(expected, tiers.AllocatedBytes(dram));
        Assert.Equal(0, tiers.AllocatedBytes(pmem));

        void* small = tiers.TryAllocIn(pmem, 16); // DynamicThreshold would put 16 B in DRAM
        Assert.Same(pmem, MemoryKind.Detect(small));
        Assert.Equal((long)tiers.GetUsableSize(small), tiers.AllocatedBytes(pmem));

        tiers.Free(small);
        foreach (nint p in blocks) tiers.Free((void*)p);
        Assert.Equal(0, tiers.AllocatedBytes(dram) + tiers.AllocatedBytes(pmem));
    }

    [Fact]
    public void AFullTierFallsBackToTheNextAndOnlyWhenNoneHasRoomDoesItFail()
    {
        using MemoryKind fast = TieringTestKinds.Dram("allocin-full", 16 << 20);
        using MemoryKind slow = TieringTestKinds.Dram("allocin-slow", 16 << 20);
        using TieredMemory tiers = TieredMemory.Create(TierPolicy.StaticRatio, (fast, 1), (slow, 1));

        void* big = tiers.AllocIn(fast, 12 << 20);
        void* fell = tiers.AllocIn(fast, 12 << 20); // the fast tier has no room left for a second one
        Assert.Same(fast, MemoryKind.Detect(big));
        Assert.Same(slow, MemoryKind.Detect(fell));
        Assert.Equal((long)tiers.GetUsableSize(big), tiers.AllocatedBytes(fast));
        Assert.Equal((long)tiers.GetUsableSize(fell), tiers.AllocatedBytes(slow));

        Assert.True(tiers.TryAllocIn(fast, 12 << 20) == null);
        Assert.Throws<OutOfMemoryException>(() => tiers.AllocIn(slow, 12 << 20));
        tiers.Free(big);
        tiers.Free(fell);
        Assert.Equal(0, tiers.AllocatedBytes(fast) + tiers.AllocatedBytes(slow));
    }

    [Fact]
    public void AKindThatIsNotATierAndNullAreRefusedAndADisposedObjectSaysSo()
    {
        using MemoryKind dram = TieringTestKinds.Dram("allocin-tier");
        using MemoryKind other = TieringTestKinds.Dram("allocin-other");
        var tiers = TieredMemory.Create(TierPolicy.StaticRatio, (dram, 1));
        ArgumentException notATier = Assert.Throws<ArgumentException>(() => tiers.AllocIn(other, 64));
        Assert.Equal("tier", notATier.ParamName);
        Assert.Contains(other.Name, notATier.Message);
        Assert.Throws<ArgumentNullException>("tier", () => tiers.TryAllocIn(null!, 64));
        Assert.Equal(0, other.GetStats().Allocated + dram.GetStats().Allocated);
        tiers.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tiers.TryAllocIn(dram, 64));
    }
}
